using Microsoft.Extensions.Time.Testing;
using Watchtower.Tower.Ingestion;
using Xunit;

namespace Watchtower.Tower.Tests.Ingestion;

public sealed class SubscriptionRateLimiterTests
{
    [Fact]
    public void Burst_ThenTheRate_PerSubscription()
    {
        var time = new FakeTimeProvider();
        var limiter = new SubscriptionRateLimiter(time, perSecond: 2, burst: 3);
        var flooder = Guid.NewGuid();

        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => limiter.TryTake(flooder)).ToArray());
        Assert.True(limiter.TryTake(Guid.NewGuid()));

        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(limiter.TryTake(flooder));
        Assert.False(limiter.TryTake(flooder));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => limiter.TryTake(flooder)));
    }
}
