using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Ledger;

/// <summary>
/// The one ledger-facing abstraction: every component that reads or writes the network goes
/// through it, so Horizon and Stellar RPC are interchangeable by configuration.
/// </summary>
public interface ILedgerClient
{
    Task<Network> GetNetworkAsync(CancellationToken ct);

    /// <summary>The account as of the latest closed ledger, or null when it does not exist.</summary>
    Task<AccountSnapshot?> LoadAccountAsync(AccountId id, CancellationToken ct);

    /// <summary>Submits and waits for the outcome. Never throws for transaction failures (they are in the outcome).</summary>
    Task<SubmitOutcome> SubmitAsync(TransactionEnvelope envelope, CancellationToken ct);

    Task<LedgerHeaderInfo> GetLatestLedgerAsync(CancellationToken ct);

    Task<FeeStatsInfo> GetFeeStatsAsync(CancellationToken ct);

    /// <summary>
    /// Closed ledgers in order, each with all its transactions (successful and failed), starting
    /// after <paramref name="afterLedger"/>. Never skips a ledger: gaps are filled by paging and
    /// connection losses are retried with capped backoff until <paramref name="ct"/> is cancelled.
    /// </summary>
    IAsyncEnumerable<ClosedLedger> StreamLedgersAsync(uint afterLedger, CancellationToken ct);
}

public sealed record AccountSnapshot(
    AccountId Id,
    SequenceNumber Sequence,
    Stroops Balance,
    Thresholds Thresholds,
    ImmutableArray<Signer> Signers,
    uint SequenceLedger,
    ulong SequenceTime);

public sealed record LedgerHeaderInfo(uint Sequence, DateTimeOffset CloseTime, string Hash, long BaseFee, uint ProtocolVersion);

public sealed record ClosedLedger(LedgerHeaderInfo Header, ImmutableArray<LedgerTransaction> Transactions);

public sealed record LedgerTransaction(
    TransactionHash Hash,
    TransactionEnvelope Envelope,
    bool Successful,
    TransactionResult Result,
    uint Ledger,
    string PagingToken);

/// <param name="ResultCodesText">Result codes in Horizon's spelling (e.g. "tx_bad_seq"), for logs and decisions.</param>
public sealed record SubmitOutcome(TransactionHash Hash, bool Success, uint? Ledger, TransactionResult? Result, string? ResultCodesText);

public sealed record FeeStatsInfo(long LastLedgerBaseFee, long P50, long P90, long P99, double LedgerCapacityUsage);
