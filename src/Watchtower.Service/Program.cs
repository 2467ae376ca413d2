using Watchtower.Service;

return await WatchtowerHost.RunAsync(args, Console.Error).ConfigureAwait(false);
