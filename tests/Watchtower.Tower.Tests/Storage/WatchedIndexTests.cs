using Watchtower.Contracts;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;
using Xunit;

namespace Watchtower.Tower.Tests.Storage;

public sealed class WatchedIndexTests
{
    [Fact]
    public void Lookups_StayExactAcrossFilterGrowthAndRemovals()
    {
        var index = new WatchedIndex();
        var random = new Random(11);
        var accounts = Enumerable.Range(0, 50_000).Select(_ =>
        {
            var key = new byte[32];
            random.NextBytes(key);
            return new AccountId(key);
        }).ToArray();
        var channel = ChannelId.FromBytes(new byte[ChannelId.Size]);

        // Grows the filter several times (starts at 65,536 bits).
        foreach (var account in accounts)
        {
            index.Apply(new WatchedIndexChange(channel, [WatchedAccountKey.Of(account)], []));
        }
        Assert.All(accounts, a => Assert.True(index.IsWatched(a)));

        // Removing most entries triggers a rebuild from the survivors.
        foreach (var account in accounts[..45_000])
        {
            index.Apply(new WatchedIndexChange(channel, [], [WatchedAccountKey.Of(account)]));
        }

        Assert.Equal(5_000, index.AccountCount);
        Assert.All(accounts[..45_000], a => Assert.False(index.IsWatched(a)));
        Assert.All(accounts[45_000..], a => Assert.Equal([channel], index.ChannelsFor(a).ToArray()));
    }
}
