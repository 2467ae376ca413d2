using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Protocol.Tests;

public class MonitorRuleTests
{
    private static readonly DateTimeOffset M = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly TimeSpan D = TimeSpan.FromHours(1);
    private static readonly SequenceNumber Base = new(1000);

    // Latest round: r = 1010, n = 3; ratchet valid until M+3h; snapshots from M+4h.
    private static readonly WatchedRound Latest = new(new SequenceNumber(1010), 3, M.AddHours(3), M.AddHours(4));
    private static readonly WatchedRound Pending = new(new SequenceNumber(1014), 3, M.AddHours(5), M.AddHours(6));

    private static MonitorDecision Decide(long? q, DateTimeOffset now, WatchedRound? pending = null) =>
        MonitorRule.Decide(new MonitorInput(Base, Latest, pending, D), q is { } v ? new SequenceNumber(v) : null, now);

    [Fact]
    public void UnchangedEscrow_IsIdleWhileTheRatchetHasMoreThanD() =>
        Assert.Equal((MonitorCase.Idle, MonitorAction.None), Pair(Decide(1000, M.AddHours(1))));

    [Fact]
    public void UnchangedEscrow_WithinDOfRatchetExpiry_IsATimeout() =>
        Assert.Equal((MonitorCase.Timeout, MonitorAction.SubmitRatchet), Pair(Decide(1000, M.AddHours(2))));

    [Theory]
    [InlineData(1001)] // a stale round-0 ratchet
    [InlineData(1006)] // a stale ratchet plus part of its snapshots
    [InlineData(1009)]
    public void BelowR_IsABreachAnsweredWithTheLatestRatchet(long q) =>
        Assert.Equal((MonitorCase.StaleRatchet, MonitorAction.SubmitRatchet), Pair(Decide(q, M.AddHours(1))));

    [Fact]
    public void BelowR_AfterOurRatchetExpired_AlertsInsteadOfSubmitting() =>
        Assert.Equal((MonitorCase.RatchetExpired, MonitorAction.Alert), Pair(Decide(1005, M.AddHours(3).AddSeconds(1))));

    [Fact]
    public void AtR_WaitsForTheSnapshotsMinTimeThenSubmitsFromTheFirst()
    {
        var early = Decide(1010, M.AddHours(3));
        Assert.Equal((MonitorCase.LatestRatchet, MonitorAction.WaitUntil), Pair(early));
        Assert.Equal(M.AddHours(4), early.NotBefore);
        var due = Decide(1010, M.AddHours(4));
        Assert.Equal((MonitorCase.LatestRatchet, MonitorAction.SubmitLatestSnapshots), Pair(due));
        Assert.Equal(0, due.FirstSnapshot);
    }

    [Theory]
    [InlineData(1011, 1)]
    [InlineData(1012, 2)]
    public void BetweenRAndRPlusN_SubmitsOnlyTheRemainingSnapshots(long q, int first)
    {
        var d = Decide(q, M.AddHours(4));
        Assert.Equal((MonitorCase.PartiallyApplied, MonitorAction.SubmitLatestSnapshots), Pair(d));
        Assert.Equal(first, d.FirstSnapshot);
    }

    [Fact]
    public void AtRPlusN_IsSettled() =>
        Assert.Equal((MonitorCase.Settled, MonitorAction.StopWatching), Pair(Decide(1013, M)));

    [Fact]
    public void MissingEscrow_IsSettled() =>
        Assert.Equal((MonitorCase.Settled, MonitorAction.StopWatching), Pair(Decide(null, M)));

    [Theory]
    [InlineData(1014)]
    [InlineData(999)]
    [InlineData(5000)]
    public void AboveRPlusNOrBelowBase_IsCorrupted(long q) =>
        Assert.Equal((MonitorCase.Corrupted, MonitorAction.Alert), Pair(Decide(q, M)));

    [Fact]
    public void PendingRoundRatchet_IsAnsweredWithThePendingSnapshots()
    {
        Assert.Equal((MonitorCase.PendingRatchet, MonitorAction.WaitUntil), Pair(Decide(1014, M.AddHours(5), Pending)));
        Assert.Equal((MonitorCase.PendingRatchet, MonitorAction.SubmitPendingSnapshots), Pair(Decide(1014, M.AddHours(6), Pending)));
        var partial = Decide(1016, M.AddHours(6), Pending);
        Assert.Equal((MonitorCase.PendingPartiallyApplied, MonitorAction.SubmitPendingSnapshots), Pair(partial));
        Assert.Equal(2, partial.FirstSnapshot);
        Assert.Equal((MonitorCase.Settled, MonitorAction.StopWatching), Pair(Decide(1017, M, Pending)));
    }

    [Fact]
    public void WithAPendingRound_TheLatestSnapshotsWaitUntilThePendingRatchetExpired()
    {
        var d = Decide(1010, M.AddHours(4), Pending);
        Assert.Equal((MonitorCase.LatestRatchet, MonitorAction.WaitUntil), Pair(d));
        Assert.Equal(M.AddHours(5).AddSeconds(1), d.NotBefore);
        Assert.Equal(MonitorAction.SubmitLatestSnapshots, Decide(1010, M.AddHours(5).AddSeconds(1), Pending).Action);
    }

    private static (MonitorCase, MonitorAction) Pair(MonitorDecision d) => (d.Case, d.Action);
}
