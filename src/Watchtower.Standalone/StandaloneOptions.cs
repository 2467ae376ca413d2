using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone;

/// <summary>Settings of the standalone network server.</summary>
public sealed record StandaloneOptions
{
    /// <summary>Interface to bind; loopback by default.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; init; }

    public string Passphrase { get; init; } = Network.Standalone.Passphrase;

    /// <summary>Time between ledger closes on the ledger clock; null closes ledgers only on demand (admin endpoints, <see cref="StandaloneServer.CloseLedgerAsync"/>).</summary>
    public TimeSpan? CloseInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Test mode: close a ledger as soon as a transaction is queued, so submissions return at once.</summary>
    public bool CloseOnSubmit { get; init; }

    /// <summary>File that keeps the ledger across restarts (written atomically after every close); null keeps it in memory only.</summary>
    public string? StatePath { get; init; }

    public int MaxOperationsPerLedger { get; init; } = 1000;

    /// <summary>What friendbot gives a new account.</summary>
    public Stroops FriendbotStartingBalance { get; init; } = Stroops.FromLumens(10_000m);

    /// <summary>Where the server logs (e.g. a ledger close that failed); discarded by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal StandaloneNetworkOptions NetworkOptions => new()
    {
        Passphrase = Passphrase,
        MaxOperationsPerLedger = MaxOperationsPerLedger,
    };
}
