using System.CommandLine;
using Watchtower.Cli.Commands;

namespace Watchtower.Cli;

/// <summary>
/// The `watchtower` command tree. Each command group lives in its own file under Commands/ and
/// exposes a static <c>Create()</c> returning its <see cref="Command"/>; register new groups here.
/// </summary>
public static class CliApp
{
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("Watchtower for Stellar state channels: tower, wallet and protocol tools.");
        root.Add(TxCommands.Create());
        root.Add(KeysCommands.Create());
        root.Add(StandaloneCommand.Create());
        root.Add(ChannelCommands.Create());
        root.Add(DemoCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs a command. A command that fails with an exception (a ledger that cannot be
    /// reached, a directory without a channel) prints <c>error: …</c> in one line on the
    /// configuration's error writer and exits 1, rather than System.CommandLine's stack trace.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, InvocationConfiguration configuration, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.EnableDefaultExceptionHandler = false;
        try
        {
            return await CreateRootCommand().Parse(args).InvokeAsync(configuration, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            await configuration.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
