using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Watchtower.Ledger.Tests;

public class CappedBackoffTests
{
    [Fact]
    public void Delays_DoubleUpToTheCap_AndRestartAfterReset()
    {
        var backoff = new CappedBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), new FakeTimeProvider());

        var delays = Enumerable.Range(0, 6).Select(_ => backoff.NextDelay().TotalMilliseconds).ToArray();
        backoff.Reset();

        Assert.Equal([100d, 200, 400, 800, 1000, 1000], delays);
        Assert.Equal(100, backoff.NextDelay().TotalMilliseconds);
    }

    [Fact]
    public async Task Wait_CompletesOnlyWhenTheClockMoves()
    {
        var time = new FakeTimeProvider();
        var backoff = new CappedBackoff(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), time);

        var wait = backoff.WaitAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await wait;
    }
}
