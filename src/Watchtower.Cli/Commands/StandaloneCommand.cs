using System.CommandLine;
using Microsoft.Extensions.Logging;
using Watchtower.Standalone;

namespace Watchtower.Cli.Commands;

/// <summary><c>watchtower standalone</c>: runs the embedded standalone network until interrupted.</summary>
public static class StandaloneCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port", "-p") { Description = "TCP port (0 picks a free one)", DefaultValueFactory = _ => 8000 };
        var host = new Option<string>("--host") { Description = "Interface to bind", DefaultValueFactory = _ => "127.0.0.1" };
        var interval = new Option<string>("--close-interval")
        {
            Description = "Ledger close interval (5s, 1s, 250ms, …), on-demand (admin endpoints only) or on-submit",
            DefaultValueFactory = _ => "5s",
        };
        var passphrase = new Option<string>("--passphrase")
        {
            Description = "Network passphrase",
            DefaultValueFactory = _ => Stellar.Network.Standalone.Passphrase,
        };
        var state = new Option<string?>("--state") { Description = "File that keeps the ledger across restarts" };
        var maxOps = new Option<int>("--max-ops") { Description = "Operations per ledger before surge pricing", DefaultValueFactory = _ => 1000 };
        var command = new Command("standalone", "Run an embedded Stellar network with a Horizon-compatible API, Stellar RPC and friendbot")
        {
            port, host, interval, passphrase, state, maxOps,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            // Failed ledger closes and request errors go to stderr; stdout stays the URLs a script reads.
            using var logging = LoggerFactory.Create(b => b
                .SetMinimumLevel(LogLevel.Warning)
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var options = new StandaloneOptions
            {
                LoggerFactory = logging,
                Port = parse.GetValue(port),
                Host = parse.GetValue(host)!,
                Passphrase = parse.GetValue(passphrase)!,
                StatePath = parse.GetValue(state),
                MaxOperationsPerLedger = parse.GetValue(maxOps),
            };
            if (!CloseIntervalSyntax.TryApply(parse.GetValue(interval)!, options, out var configured))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("--close-interval: expected a duration like 5s or 250ms, on-demand or on-submit").ConfigureAwait(false);
                return 2;
            }

            StandaloneServer server;
            try
            {
                server = await StandaloneServer.StartAsync(configured, TimeProvider.System, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                // A bad or unreadable state file, or a port in use: say so without a stack trace.
                await parse.InvocationConfiguration.Error.WriteLineAsync($"cannot start the standalone network: {e.Message}").ConfigureAwait(false);
                return 1;
            }

            await using var running = server;
            await output.WriteLineAsync($"horizon:    {server.HorizonUri}").ConfigureAwait(false);
            await output.WriteLineAsync($"rpc:        {server.RpcUri}").ConfigureAwait(false);
            await output.WriteLineAsync($"friendbot:  {server.HorizonUri}friendbot?addr=G...").ConfigureAwait(false);
            await output.WriteLineAsync($"metrics:    {server.HorizonUri}metrics").ConfigureAwait(false);
            await output.WriteLineAsync($"passphrase: {server.Network.Passphrase}").ConfigureAwait(false);
            await output.WriteLineAsync($"root:       {server.Root.AccountId}").ConfigureAwait(false);
            await output.WriteLineAsync($"root seed:  {server.Root.Seed}").ConfigureAwait(false);
            await output.WriteLineAsync("clock:      POST /admin/clock/advance?seconds=N, POST /admin/ledger/close").ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: dispose the server and exit normally.
            }

            return 0;
        });
        return command;
    }
}
