using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Tower.Ingestion;

/// <summary>
/// The tower's keys and network: the ed25519 identity that signs receipts, the X25519 key bundles
/// are sealed to, and the one network it watches.
/// </summary>
public sealed record TowerIdentity(KeyPair ReceiptKey, TowerSealingKey SealingKey, Network Network);

/// <summary>The latest closed ledger the tower knows: stamped into receipts as the accepting ledger.</summary>
public interface IAcceptingLedgerSource
{
    uint LatestLedger { get; }
}

/// <summary>A thread-safe holder the tailer (or a ledger poller) advances; ingestion reads it.</summary>
public sealed class LedgerWatermark : IAcceptingLedgerSource
{
    private long _latest;

    public uint LatestLedger => (uint)Interlocked.Read(ref _latest);

    /// <summary>Moves the watermark forward (never back).</summary>
    public void Advance(uint ledger)
    {
        long current;
        while ((current = Interlocked.Read(ref _latest)) < ledger)
        {
            if (Interlocked.CompareExchange(ref _latest, ledger, current) == current)
            {
                return;
            }
        }
    }
}
