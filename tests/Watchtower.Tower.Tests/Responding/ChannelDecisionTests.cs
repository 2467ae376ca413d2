using Watchtower.Stellar;
using Watchtower.Tower.Detection;
using Xunit;

namespace Watchtower.Tower.Tests.Responding;

/// <summary>One test per row of DESIGN.md's table (plus the edges around it).</summary>
public class ChannelDecisionTests
{
    // Round 3 of a 2-party channel with r_0 = 1000: r = 1000 + 3·3 = 1009, r + n = 1011.
    private const ulong MaxTime = 1_000_000;
    private const ulong MinTime = 1_500_000;
    private static readonly TimeSpan D = TimeSpan.FromSeconds(1000);
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(100);
    private static readonly ProtectedRound Round = new(3, new SequenceNumber(1009), 2, MaxTime, MinTime, D);

    private static Decision Decide(long? escrow, ulong now) =>
        ChannelDecision.Decide(Round, new Observation(escrow is { } q ? new SequenceNumber(q) : null, now), Margin);

    [Fact]
    public void InitialRatchetTarget_IsDerivedFromTheRound() =>
        Assert.Equal(new SequenceNumber(1000), Round.InitialRatchetTarget);

    [Theory]
    [InlineData(1000)] // round 0's ratchet
    [InlineData(1004)] // round 1's ratchet with one of its snapshots executed
    [InlineData(1008)] // round 2's last snapshot sequence
    public void StaleRatchet_IsCounteredWithTheLatestRatchet_ThenSnapshotsAtMinTime(long escrow)
    {
        var d = Decide(escrow, 10);

        Assert.Equal(ChannelSituation.StaleRatchet, d.Situation);
        Assert.Equal([new SubmitRatchet(RatchetReason.Breach), new ScheduleFollowUp(MinTime)], d.Actions.ToArray());
    }

    [Fact]
    public void LatestRatchet_BeforeMinTime_WaitsForMinTime()
    {
        var d = Decide(1009, MinTime - 1);

        Assert.Equal(ChannelSituation.LatestRatchet, d.Situation);
        Assert.Equal([new StopDeadlineWatch(), new ScheduleFollowUp(MinTime)], d.Actions.ToArray());
    }

    [Fact]
    public void LatestRatchet_AtMinTime_SubmitsAllSnapshots()
    {
        var d = Decide(1009, MinTime);

        Assert.Equal([new StopDeadlineWatch(), new SubmitSnapshots(0)], d.Actions.ToArray());
    }

    [Fact]
    public void SnapshotsPartlyApplied_SubmitsTheRemainingOnes()
    {
        var d = Decide(1010, MinTime + 5);

        Assert.Equal(ChannelSituation.SnapshotsPartlyApplied, d.Situation);
        Assert.Equal([new StopDeadlineWatch(), new SubmitSnapshots(1)], d.Actions.ToArray());
    }

    [Fact]
    public void AllSnapshotsApplied_IsSettledAndForgotten()
    {
        var d = Decide(1011, MinTime + 5);

        Assert.Equal(ChannelSituation.Settled, d.Situation);
        Assert.Equal([new Forget()], d.Actions.ToArray());
    }

    [Fact]
    public void EscrowMergedAway_IsSettledAndForgotten()
    {
        var d = Decide(null, MinTime + 5);

        Assert.Equal(ChannelSituation.Settled, d.Situation);
        Assert.Equal([new Forget()], d.Actions.ToArray());
    }

    [Theory]
    [InlineData(1014L)] // round 4 (the cooperative close, never uploaded) paid out: r_4 = 1012, + n
    [InlineData(1017L)] // round 5 paid out
    public void ALaterRoundPaidOut_IsSettledAndForgotten_NotCorrupted(long escrow)
    {
        var d = Decide(escrow, MinTime + 5);

        Assert.Equal(ChannelSituation.Settled, d.Situation);
        Assert.Equal([new Forget()], d.Actions.ToArray());
    }

    [Fact]
    public void BeyondTheLastSnapshot_IsCorrupted_AlertedWithoutSubmitting()
    {
        var d = Decide(1012, 10);

        Assert.Equal(ChannelSituation.Corrupted, d.Situation);
        Assert.DoesNotContain(d.Actions, a => a is SubmitRatchet or SubmitSnapshots);
        Assert.Contains(new ReportCorrupted(), d.Actions.ToArray());
    }

    [Fact]
    public void Untouched_FarFromTheDeadline_DoesNothing()
    {
        var d = Decide(999, MaxTime - 1101);

        Assert.Equal(ChannelSituation.Untouched, d.Situation);
        Assert.Empty(d.Actions);
    }

    [Fact]
    public void Untouched_WithinDPlusMarginOfMaxTime_ForceClosesAtTheLatestState()
    {
        var d = Decide(999, MaxTime - 1100);

        Assert.Equal(ChannelSituation.Untouched, d.Situation);
        Assert.Equal([new SubmitRatchet(RatchetReason.Deadline), new ScheduleFollowUp(MinTime)], d.Actions.ToArray());
    }

    [Fact]
    public void RatchetPastItsMaxTime_CannotBeSubmitted_AndIsReported()
    {
        Assert.Equal([new ReportDeadlineMissed()], Decide(999, MaxTime + 1).Actions.ToArray());
        Assert.Equal([new ReportDeadlineMissed()], Decide(1003, MaxTime + 1).Actions.ToArray());
    }

    [Fact]
    public void DeadlineAt_IsMaxTimeMinusDAndMargin() =>
        Assert.Equal(MaxTime - 1100, ChannelDecision.DeadlineAt(Round, Margin));

    [Fact]
    public void Decision_IsTheSameWhenAskedAgain()
    {
        // Replays and duplicate triggers must converge: the function has no hidden state.
        Assert.Equal(Decide(1004, 10), Decide(1004, 10));
        Assert.Equal(Decide(1009, MinTime), Decide(1009, MinTime));
    }
}
