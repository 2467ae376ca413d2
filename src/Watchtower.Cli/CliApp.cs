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
}
