namespace Watchtower.Ledger;

/// <summary>
/// Capped exponential backoff: initial, 2×initial, 4×initial … up to max; <see cref="Reset"/> after a success.
/// Waiting goes through a <see cref="TimeProvider"/> so tests drive it with a fake clock.
/// </summary>
public sealed class CappedBackoff(TimeSpan initial, TimeSpan max, TimeProvider time)
{
    private int _failures;

    public int ConsecutiveFailures => _failures;

    public TimeSpan NextDelay()
    {
        var exponent = Math.Min(_failures, 30);
        var ticks = Math.Min(max.Ticks, initial.Ticks * (1L << Math.Min(exponent, 20)));
        _failures++;
        return TimeSpan.FromTicks(Math.Max(ticks, 0));
    }

    public Task WaitAsync(CancellationToken ct) => Task.Delay(NextDelay(), time, ct);

    public void Reset() => _failures = 0;
}
