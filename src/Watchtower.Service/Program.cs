using Watchtower.Service;

await WatchtowerHost.Build(args).RunAsync().ConfigureAwait(false);
