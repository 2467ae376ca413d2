using BenchmarkDotNet.Attributes;
using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Stellar;
using Watchtower.Tower.Detection;
using Watchtower.Tower.Storage;

namespace Watchtower.Benchmarks.Tower;

/// <summary>
/// The tailer's per-ledger matching: a 10,000-transaction ledger (each transaction with a source
/// and two operation sources, 1% touching a watched account) against 1,000,000 watched channels.
/// Budget: 20 ms.
/// </summary>
[MemoryDiagnoser]
public class LedgerMatching
{
    private WatchedIndex _index = null!;
    private ClosedLedger _ledger = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(11);
        _index = new WatchedIndex();
        var watched = new AccountId[100];
        var key = new byte[32];
        var id = new byte[ChannelId.Size];
        for (var i = 0; i < 1_000_000; i++)
        {
            random.NextBytes(key);
            random.NextBytes(id);
            _index.Set(WatchedAccountKey.FromBytes(key), [ChannelId.FromBytes(id)]);
            if (i < watched.Length)
            {
                watched[i] = new AccountId(key);
            }
        }

        AccountId Random()
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            return new AccountId(bytes);
        }

        var result = Watchtower.Stellar.Xdr.XdrCodec.FromBase64<TransactionResult>("AAAAAAAAAGQAAAAAAAAAAQAAAAAAAAALAAAAAAAAAAA=");
        var txs = Enumerable.Range(0, 10_000).Select(i =>
        {
            var opSource = i % 100 == 0 ? watched[i / 100] : Random();
            var envelope = new TransactionBuilder(Random(), new SequenceNumber(i))
                .AddOperation(new BumpSequenceOperation(new SequenceNumber(0)) { SourceAccount = opSource })
                .AddOperation(new BumpSequenceOperation(new SequenceNumber(0)) { SourceAccount = Random() })
                .BuildEnvelope();
            return new LedgerTransaction(new TransactionHash(new byte[32]), envelope, true, result, 1, "0");
        });
        _ledger = new ClosedLedger(new LedgerHeaderInfo(1, DateTimeOffset.UnixEpoch, "", 100, 23), [.. txs]);
    }

    [Benchmark]
    public int Match() => LedgerMatcher.Match(_ledger, _index).Count;
}
