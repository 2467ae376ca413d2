namespace Watchtower.Standalone;

/// <summary>
/// A wall clock that stays where it was started: the network's ledger time then moves only by its
/// clock control (<see cref="StandaloneServer.AdvanceClockAsync"/>, <c>POST /admin/clock/advance</c>), so a
/// host can let weeks of ledger time pass in seconds. Timers and elapsed-time measurement stay the
/// system's.
/// </summary>
public sealed class StoppedClock(DateTimeOffset at) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => at;
}
