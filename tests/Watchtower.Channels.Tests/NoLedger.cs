using Watchtower.Ledger;
using Watchtower.Stellar;

namespace Watchtower.Channels.Tests;

/// <summary>For off-chain rounds, which never reach the ledger: any call fails the test.</summary>
internal sealed class NoLedger : ILedgerClient
{
    public Task<Network> GetNetworkAsync(CancellationToken ct) => throw Unexpected();

    public Task<AccountSnapshot?> LoadAccountAsync(AccountId id, CancellationToken ct) => throw Unexpected();

    public Task<SubmitOutcome> SubmitAsync(TransactionEnvelope envelope, CancellationToken ct) => throw Unexpected();

    public Task<LedgerHeaderInfo> GetLatestLedgerAsync(CancellationToken ct) => throw Unexpected();

    public Task<FeeStatsInfo> GetFeeStatsAsync(CancellationToken ct) => throw Unexpected();

    public IAsyncEnumerable<ClosedLedger> StreamLedgersAsync(uint afterLedger, CancellationToken ct) => throw Unexpected();

    private static InvalidOperationException Unexpected() => new("an off-chain round touched the ledger");
}
