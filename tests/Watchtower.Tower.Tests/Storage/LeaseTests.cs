using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Watchtower.Tower.Storage;
using Xunit;

namespace Watchtower.Tower.Tests.Storage;

public sealed class RedisLeaseTests : IDisposable
{
    private readonly ConnectionMultiplexer _redis = TestServers.ConnectRedis();
    private readonly string _prefix = TestServers.UniquePrefix();

    public void Dispose() => _redis.Dispose();

    private RedisLease Lease(string holder) => new(_redis, "tailer", holder, TimeSpan.FromSeconds(30), _prefix);

    [Fact]
    public async Task SecondHolder_CannotAcquireWhileTheFirstHoldsIt()
    {
        var a = Lease("a");
        var b = Lease("b");

        var token = await a.TryAcquireAsync(CancellationToken.None);

        Assert.NotNull(token);
        Assert.Null(await b.TryAcquireAsync(CancellationToken.None));
        Assert.True(await a.RenewAsync(token.Value, CancellationToken.None));
        Assert.Equal(token, await a.TryAcquireAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AfterRelease_NextHolderGetsAHigherTokenAndTheOldOneIsFenced()
    {
        var a = Lease("a");
        var b = Lease("b");
        var first = (await a.TryAcquireAsync(CancellationToken.None))!.Value;
        await b.ReleaseAsync(first, CancellationToken.None); // not b's to release: no effect
        Assert.Null(await b.TryAcquireAsync(CancellationToken.None));

        await a.ReleaseAsync(first, CancellationToken.None);
        var second = (await b.TryAcquireAsync(CancellationToken.None))!.Value;

        Assert.True(second > first);
        Assert.False(await a.RenewAsync(first, CancellationToken.None));
        Assert.False(await a.IsCurrentAsync(first, CancellationToken.None));
        Assert.True(await b.IsCurrentAsync(second, CancellationToken.None));
    }

    [Fact]
    public async Task ExpiredLease_IsTakenOverAndTheOldHolderCannotRenew()
    {
        var a = Lease("a");
        var b = Lease("b");
        var first = (await a.TryAcquireAsync(CancellationToken.None))!.Value;

        // Expiry is Redis's own clock: stand in for it by removing the key, as expiry does.
        await _redis.GetDatabase().KeyDeleteAsync($"{_prefix}:{{lease:tailer}}");
        var second = (await b.TryAcquireAsync(CancellationToken.None))!.Value;

        Assert.True(second > first);
        Assert.False(await a.RenewAsync(first, CancellationToken.None));
        Assert.Null(await a.TryAcquireAsync(CancellationToken.None));
    }
}

public sealed class InMemoryLeaseTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));
    private readonly InMemoryLeaseGroup _group = new();

    private InMemoryLease Lease(string holder) => new(_group, "tailer", holder, TimeSpan.FromSeconds(30), _time);

    [Fact]
    public async Task Lease_IsExclusiveUntilItExpiresOnTheInjectedClock()
    {
        var a = Lease("a");
        var b = Lease("b");
        var first = (await a.TryAcquireAsync(CancellationToken.None))!.Value;
        Assert.Null(await b.TryAcquireAsync(CancellationToken.None));

        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await a.RenewAsync(first, CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(await b.TryAcquireAsync(CancellationToken.None));

        _time.Advance(TimeSpan.FromSeconds(11));
        var second = (await b.TryAcquireAsync(CancellationToken.None))!.Value;
        Assert.True(second > first);
        Assert.False(await a.RenewAsync(first, CancellationToken.None));
        Assert.False(await a.IsCurrentAsync(first, CancellationToken.None));
    }
}
