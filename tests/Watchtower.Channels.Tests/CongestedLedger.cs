using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>
/// The standalone network in manual-close mode with a crowd of other users: while
/// <see cref="Congested"/>, every ledger is filled with their transactions bidding
/// <see cref="SpamRates"/> per operation, so it closes full and surge-priced. Reads go through
/// Horizon; a submission is queued in the engine directly and ledgers are closed until it is in
/// one, like Horizon's synchronous submission, which gives up ("timeout", the transaction left
/// queued) after <see cref="LedgersBeforeTimeout"/> ledgers, as a real Horizon does after 30 s.
/// Submitting straight to the engine keeps the queue deterministic: what is queued before a close
/// is known exactly, with no HTTP request still in flight.
/// </summary>
internal sealed class CongestedLedger(StandaloneServer server, ILedgerClient horizon) : ILedgerClient
{
    public const int LedgersBeforeTimeout = 2;

    private readonly List<KeyPair> _crowd = [];

    public bool Congested { get; set; }

    public Network Network => server.Network;

    /// <summary>The crowd's bids per operation, one account each; more operations than a ledger holds.</summary>
    public IReadOnlyList<long> SpamRates { get; } = [.. Enumerable.Range(0, 12).Select(k => 1000L + (100 * k))];

    /// <summary>Every envelope submitted through this client (not the crowd's).</summary>
    public List<TransactionEnvelope> Submitted { get; } = [];

    public static async Task<CongestedLedger> StartAsync(StandaloneServer server, ILedgerClient horizon)
    {
        var ledger = new CongestedLedger(server, horizon);
        foreach (var batch in ledger.SpamRates.Chunk(5))
        {
            var root = await ledger.LoadAccountAsync(server.Root.AccountId, CancellationToken.None);
            var create = new TransactionBuilder(server.Root.AccountId, root!.Sequence);
            foreach (var _ in batch)
            {
                var k = KeyPair.Random();
                ledger._crowd.Add(k);
                create = create.AddOperation(new CreateAccountOperation(k.AccountId, Stroops.FromLumens(1000)));
            }

            Assert.True((await ledger.SubmitAsync(create.BuildEnvelope().Sign(server.Network, server.Root), CancellationToken.None)).Success);
        }

        return ledger;
    }

    /// <summary>Close one ledger (full of the crowd's transactions while congested).</summary>
    public async Task CloseAsync()
    {
        if (Congested)
        {
            server.Inspect(e =>
            {
                for (var i = 0; i < _crowd.Count; i++)
                {
                    // One queued transaction per account: an account still waiting answers try-again-later.
                    var seq = new SequenceNumber(e.GetAccount(_crowd[i].AccountId)!.SeqNum);
                    var tx = new TransactionBuilder(_crowd[i].AccountId, seq).WithFee((uint)SpamRates[i])
                        .AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).BuildEnvelope().Sign(e.Network, _crowd[i]);
                    e.Submit(tx);
                }

                return 0;
            });
        }

        await server.CloseLedgerAsync();
    }

    public async Task<SubmitOutcome> SubmitAsync(TransactionEnvelope envelope, CancellationToken ct)
    {
        Submitted.Add(envelope);
        var network = server.Network;
        var hash = envelope.Hash(network);
        var queued = server.Inspect(e => e.GetTransaction(hash) is null ? e.Submit(envelope) : new SubmitResult(SubmitStatus.Duplicate, hash));
        if (queued.Status == SubmitStatus.Error)
        {
            return new SubmitOutcome(hash, false, null, queued.Error, ResultCodeText.Of(queued.Error!));
        }

        if (queued.Status == SubmitStatus.TryAgainLater)
        {
            return new SubmitOutcome(hash, false, null, null, "try_again_later");
        }

        for (var i = 0; i < LedgersBeforeTimeout; i++)
        {
            if (server.Inspect(e => e.GetTransaction(hash)) is { } done)
            {
                return Outcome(hash, done);
            }

            await CloseAsync();
        }

        return server.Inspect(e => e.GetTransaction(hash)) is { } last ? Outcome(hash, last) : new SubmitOutcome(hash, false, null, null, "timeout");
    }

    private static SubmitOutcome Outcome(TransactionHash hash, TransactionRecord record) =>
        new(hash, record.Result.IsSuccess, record.Ledger, record.Result, ResultCodeText.Of(record.Result));

    public Task<Network> GetNetworkAsync(CancellationToken ct) => horizon.GetNetworkAsync(ct);

    public Task<AccountSnapshot?> LoadAccountAsync(AccountId id, CancellationToken ct) => horizon.LoadAccountAsync(id, ct);

    public Task<LedgerHeaderInfo> GetLatestLedgerAsync(CancellationToken ct) => horizon.GetLatestLedgerAsync(ct);

    public Task<FeeStatsInfo> GetFeeStatsAsync(CancellationToken ct) => horizon.GetFeeStatsAsync(ct);

    public IAsyncEnumerable<ClosedLedger> StreamLedgersAsync(uint afterLedger, CancellationToken ct) => horizon.StreamLedgersAsync(afterLedger, ct);
}
