using System.Diagnostics;
using Watchtower.Contracts;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Watchtower.Tower.Tests.Storage;

/// <summary>Timing tests run alone: no other test class of the assembly runs beside them.</summary>
[CollectionDefinition(nameof(TimingCollection), DisableParallelization = true)]
public sealed class TimingCollection
{
}

[Collection(nameof(TimingCollection))]
public sealed class WatchedIndexScaleTests
{
    private readonly ITestOutputHelper _output;

    public WatchedIndexScaleTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void MillionChannels_MatchATenThousandTransactionLedgerWithinTwentyMilliseconds()
    {
        // 1,000,000 channels, each watching its escrow account (the version accounts add entries of
        // the same kind; the lookup cost per account does not depend on what they map to).
        const int channels = 1_000_000;
        var index = new WatchedIndex();
        var random = new Random(7);
        Span<byte> key = stackalloc byte[32];
        var watched = new AccountId[1000];
        Span<byte> idBytes = stackalloc byte[ChannelId.Size];
        for (var i = 0; i < channels; i++)
        {
            random.NextBytes(key);
            random.NextBytes(idBytes);
            index.Set(WatchedAccountKey.FromBytes(key), [ChannelId.FromBytes(idBytes)]);
            if (i < watched.Length)
            {
                watched[i] = new AccountId(key);
            }
        }
        Assert.Equal(channels, index.AccountCount);

        // A ledger of 10,000 transactions, each with a source and two operation sources; 1% touch watched accounts.
        var ledger = Enumerable.Range(0, 10_000).Select(i =>
        {
            var accounts = new AccountId[3];
            for (var k = 0; k < 3; k++)
            {
                var bytes = new byte[32];
                random.NextBytes(bytes);
                accounts[k] = new AccountId(bytes);
            }
            if (i % 100 == 0)
            {
                accounts[1] = watched[i / 100];
            }
            return accounts;
        }).ToArray();

        var best = TimeSpan.MaxValue;
        var hits = 0;
        for (var run = 0; run < 25; run++)
        {
            hits = 0;
            var clock = Stopwatch.StartNew();
            foreach (var tx in ledger)
            {
                foreach (var account in tx)
                {
                    hits += index.ChannelsFor(account).Length;
                }
            }
            best = clock.Elapsed < best ? clock.Elapsed : best;
        }

        // The 20 ms budget is for the optimised build the suite and production run; an unoptimised
        // (Debug) build of the tower is allowed four times as much.
        var optimised = typeof(WatchedIndex).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false)
            .OfType<DebuggableAttribute>().All(a => !a.IsJITOptimizerDisabled);
        var budget = TimeSpan.FromMilliseconds(optimised ? 20 : 80);
        _output.WriteLine($"10,000 transactions (30,000 lookups) against 1,000,000 watched accounts: {best.TotalMilliseconds:F2} ms (budget {budget.TotalMilliseconds} ms)");
        Assert.Equal(100, hits);
        Assert.True(best < budget, $"matching took {best.TotalMilliseconds:F1} ms");
    }
}
