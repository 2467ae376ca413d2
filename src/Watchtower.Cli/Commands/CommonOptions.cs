using System.CommandLine;
using Watchtower.Stellar;

namespace Watchtower.Cli.Commands;

/// <summary>Options shared by several command groups.</summary>
public static class CommonOptions
{
    /// <summary>
    /// The network passphrase. "public", "testnet" and "standalone" are accepted as names for the
    /// well-known passphrases; anything else is taken as the passphrase itself.
    /// </summary>
    public static Option<string> Network() => new("--network", "-n")
    {
        Description = "Network passphrase (or one of: public, testnet, standalone)",
        Required = true,
    };

    public static Network ResolveNetwork(string nameOrPassphrase) => nameOrPassphrase switch
    {
        "public" => Stellar.Network.Public,
        "testnet" => Stellar.Network.Testnet,
        "standalone" => Stellar.Network.Standalone,
        _ => new Network(nameOrPassphrase),
    };
}
