using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>
/// The spec's informal proof, scenario by scenario, on the standalone network with a fake clock.
/// Alice is participant 0 and deposits 250; Bob is participant 1 and deposits 750 (the spec's
/// example); round 1 is Bob paying Alice 250 (500/500). Every test ends by checking the honest
/// party's wallet on the ledger.
/// </summary>
public class InformalProofTests
{
    private const int Alice = 0;
    private const int Bob = 1;
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task StaleRoundZeroSnapshot_CannotBeCashedWithoutARatchet()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        Assert.Equal(c.Parameters.FundedEscrowSequence, await c.EscrowSequenceAsync());
        Assert.True(c.Parameters.InitialRatchetTarget > c.Parameters.FundedEscrowSequence);
        Assert.Null(await c.Group.PayAsync(Bob, Alice, Stroops.FromLumens(250), Ct));

        // Bob holds fully signed round-0 snapshots paying him 750; their minTime passes.
        var round0 = c.Bundle(Bob, 0);
        await c.AdvanceToAsync(ChannelTransactions.SnapshotMinTime(c.Parameters, round0.RoundStart, false));
        foreach (var snapshot in round0.Snapshots)
        {
            var outcome = await c.Ledger.SubmitAsync(snapshot, Ct);
            Assert.False(outcome.Success);
            Assert.True(outcome.ResultCodesText?.Contains("tx_bad_seq", StringComparison.Ordinal), outcome.ResultCodesText);
        }

        Assert.Equal(c.Parameters.FundedEscrowSequence, await c.EscrowSequenceAsync());
        Assert.Equal(c.Expected(Bob, 0), await c.WalletBalanceAsync(Bob));
    }

    [Fact]
    public async Task MaliciousBobSubmitsRatchet0AfterRound1_AliceCountersAndGetsRound1()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        Assert.Null(await c.Group.PayAsync(Bob, Alice, Stroops.FromLumens(250), Ct));
        Assert.All(new[] { Alice, Bob }, i => Assert.Equal(1, c[i].State.Latest!.Round));

        var stale = await c.Ledger.SubmitAsync(c.Ratchet(Bob, 0), Ct);
        Assert.True(stale.Success, stale.ResultCodesText);
        Assert.Equal(c.Parameters.RatchetTarget(0), await c.EscrowSequenceAsync());

        // Alice notices late, but within D.
        await c.AdvanceAsync(LedgerChannel.Timeouts.SynchronyDelay - TimeSpan.FromHours(1));
        var cases = await c.MonitorUntilSettledAsync(Alice);
        Assert.Equal(MonitorCase.StaleRatchet, cases[0]);
        Assert.Contains(MonitorCase.LatestRatchet, cases);
        Assert.Equal(MonitorCase.Settled, cases[^1]);

        // Bob's only ratchet is spent; his round-0 snapshots are dead.
        Assert.False((await c.Ledger.SubmitAsync(c.Bundle(Bob, 0).Snapshots[1], Ct)).Success);
        Assert.Equal(c.Expected(Alice, 500), await c.WalletBalanceAsync(Alice));
        Assert.Equal(c.Expected(Bob, 500), await c.WalletBalanceAsync(Bob));
    }

    [Fact]
    public async Task BobDisappearsAfterRound1_AliceClosesAloneAtRound1()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        Assert.Null(await c.Group.PayAsync(Bob, Alice, Stroops.FromLumens(250), Ct));
        c.Group.Disconnect(Bob);

        // honest_close needs Bob: the close round never completes.
        Assert.Null(await c[Alice].ProposeCloseAsync(Ct));
        await c.Group.PumpAsync(Ct);
        Assert.Equal(ChannelPhase.Open, c[Alice].State.Phase);

        var cases = await c.MonitorUntilSettledAsync(Alice);
        Assert.Contains(MonitorCase.Timeout, cases);
        Assert.Equal(MonitorCase.Settled, cases[^1]);
        Assert.Equal(c.Expected(Alice, 500), await c.WalletBalanceAsync(Alice));
        Assert.Equal(c.Expected(Bob, 500), await c.WalletBalanceAsync(Bob));
    }

    [Fact]
    public async Task BobDisappearsBeforeSigningSnapshots_AliceClosesAtRound0()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        // Alice proposes paying Bob 100; Bob vanishes before answering.
        c.Group.Disconnect(Bob);
        Assert.Null(await c[Alice].ProposeAsync(LocalChannelGroup.Payment(c[Alice].State, Alice, Bob, Stroops.FromLumens(100)), Ct));
        await c.Group.PumpAsync(Ct);
        Assert.False(c[Alice].State.Pending!.RatchetsSigned);

        var cases = await c.MonitorUntilSettledAsync(Alice);
        Assert.Equal(MonitorCase.Settled, cases[^1]);
        Assert.Equal(c.Expected(Alice, 250), await c.WalletBalanceAsync(Alice));
    }

    [Fact]
    public async Task BobDisappearsAfterSigningSnapshotsBeforeSigningRatchet1Alice_AliceClosesAtRound0()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        Assert.Null(await c[Bob].ProposeAsync(LocalChannelGroup.Payment(c[Bob].State, Bob, Alice, Stroops.FromLumens(250)), Ct));
        c.Group.Disconnect(Bob); // Bob's snapshot signatures reached Alice; nothing more will
        await c.Group.PumpAsync(Ct);
        Assert.True(c[Alice].State.Pending!.HasAllSnapshotSignatures);
        Assert.Equal(0, c[Alice].State.Latest!.Round);

        var cases = await c.MonitorUntilSettledAsync(Alice);
        Assert.Contains(MonitorCase.Timeout, cases);
        Assert.Equal(MonitorCase.Settled, cases[^1]);
        Assert.Equal(c.Expected(Alice, 250), await c.WalletBalanceAsync(Alice));
        Assert.Equal(c.Expected(Bob, 750), await c.WalletBalanceAsync(Bob));
    }

    [Fact]
    public async Task BobHoldsRatchet1ButWithholdsAlices_BobContestsAndRound1Settles()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        await BobCompletesRound1AloneAsync(c);

        // Alice proceeds with her round-0 ratchet; Bob comes back and contests with his round-1 ratchet.
        Assert.True((await c[Alice].ForceCloseAsync(Ct)).Success);
        var contest = await c.Ledger.SubmitAsync(c[Bob].State.Latest!.Ratchet, Ct);
        Assert.True(contest.Success, contest.ResultCodesText);

        var cases = await c.MonitorUntilSettledAsync(Alice);
        Assert.Equal(MonitorCase.PendingRatchet, cases[0]);
        Assert.Equal(MonitorCase.Settled, cases[^1]);
        Assert.Equal(c.Expected(Alice, 500), await c.WalletBalanceAsync(Alice));
        Assert.Equal(c.Expected(Bob, 500), await c.WalletBalanceAsync(Bob));
    }

    [Fact]
    public async Task BobHoldsRatchet1ButWithholdsAlices_BobNeverReturns_AliceWaitsOutHisRatchetAndGetsRound0()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        // Round 1 starts 36 hours after round 0, so Bob's round-1 ratchet outlives round 0's snapshot minTime.
        await c.AdvanceAsync(TimeSpan.FromHours(36));
        await BobCompletesRound1AloneAsync(c);
        var bobsRatchetExpiry = ChannelTransactions.RatchetMaxTime(c.Parameters, c[Bob].State.Latest!.Start);

        Assert.True((await c[Alice].ForceCloseAsync(Ct)).Success);
        var waits = new List<DateTimeOffset>();
        for (var step = 0; step < 10; step++)
        {
            var s = (await c[Alice].CheckLedgerAsync(Ct))!;
            if (s.Decision.Action == MonitorAction.StopWatching)
            {
                break;
            }

            Assert.NotEqual(MonitorAction.SubmitPendingSnapshots, s.Decision.Action);
            if (s.Decision.Action == MonitorAction.WaitUntil)
            {
                waits.Add(s.Decision.NotBefore!.Value);
                await c.AdvanceToAsync(s.Decision.NotBefore!.Value);
            }
        }

        Assert.Equal(bobsRatchetExpiry.AddSeconds(1), Assert.Single(waits));
        Assert.Equal(c.Expected(Alice, 250), await c.WalletBalanceAsync(Alice));
        // Bob's late ratchet is now useless.
        Assert.False((await c.Ledger.SubmitAsync(c[Bob].State.Latest!.Ratchet, Ct)).Success);
    }

    [Fact]
    public async Task AliceDisappearsAfterCreatingSnapshot1BeforeRatchet1_BobClosesAtRound0()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        Assert.Null(await c[Alice].ProposeAsync(LocalChannelGroup.Payment(c[Alice].State, Alice, Bob, Stroops.FromLumens(100)), Ct));
        c.Group.Crash(Alice);
        await c.Group.PumpAsync(Ct);
        Assert.True(c[Bob].State.Pending!.RatchetsSigned);
        Assert.Equal(0, c[Bob].State.Latest!.Round);

        var cases = await c.MonitorUntilSettledAsync(Bob);
        Assert.Equal(MonitorCase.Settled, cases[^1]);
        Assert.Equal(c.Expected(Bob, 750), await c.WalletBalanceAsync(Bob));
        Assert.Equal(c.Expected(Alice, 250), await c.WalletBalanceAsync(Alice));
    }

    [Fact]
    public async Task PartlyExecutedSnapshots_AreCompletedByTheMonitor()
    {
        await using var c = await LedgerChannel.OpenAsync(100, 200, 300);
        Assert.Null(await c.Group.PayAsync(2, 0, Stroops.FromLumens(50), Ct));
        Assert.True((await c[1].ForceCloseAsync(Ct)).Success);
        var round1 = c.Bundle(1, 1);
        await c.AdvanceToAsync(ChannelTransactions.SnapshotMinTime(c.Parameters, round1.RoundStart, false));
        // Someone submits only the first snapshot.
        Assert.True((await c.Ledger.SubmitAsync(round1.Snapshots[0], Ct)).Success);

        var step = (await c[1].CheckLedgerAsync(Ct))!;
        Assert.Equal(MonitorCase.PartiallyApplied, step.Decision.Case);
        Assert.Equal(1, step.Decision.FirstSnapshot);
        Assert.Equal(2, step.Submissions.Length);
        Assert.All(step.Submissions, s => Assert.True(s.Success, $"{s.ResultCodesText} {s.Result}"));
        Assert.Equal(MonitorCase.Settled, (await c[1].CheckLedgerAsync(Ct))!.Decision.Case);
        Assert.Equal(c.Expected(0, 150), await c.WalletBalanceAsync(0));
        Assert.Equal(c.Expected(1, 200), await c.WalletBalanceAsync(1));
        Assert.Equal(c.Expected(2, 250), await c.WalletBalanceAsync(2));
    }

    [Fact]
    public async Task EscrowBeyondEveryKnownRound_IsCorruptedAndTriggersNoSubmission()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        Assert.Null(await c.Group.PayAsync(Bob, Alice, Stroops.FromLumens(250), Ct));
        // Every ratchet key colludes to move R far ahead (only N-of-N can).
        var far = c.Parameters.RatchetTarget(7);
        var escrow = (await c.Ledger.LoadAccountAsync(c.Parameters.Escrow, Ct))!;
        var bump = new TransactionBuilder(c.Parameters.Escrow, escrow.Sequence).AddOperation(new BumpSequenceOperation(far)).BuildEnvelope();
        TransactionEnvelope signed = bump;
        foreach (var k in c.Keys)
        {
            signed = signed.Sign(c.Parameters.Network, k.Ratchet);
        }

        Assert.True((await c.Ledger.SubmitAsync(signed, Ct)).Success);
        var step = (await c[Alice].CheckLedgerAsync(Ct))!;
        Assert.Equal((MonitorCase.Corrupted, MonitorAction.Alert), (step.Decision.Case, step.Decision.Action));
        Assert.Empty(step.Submissions);
        Assert.Equal(far, await c.EscrowSequenceAsync());
    }

    [Fact]
    public async Task HonestClose_SettlesTheLatestRoundImmediately()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        Assert.Null(await c.Group.PayAsync(Bob, Alice, Stroops.FromLumens(250), Ct));
        Assert.Null(await c[Alice].ProposeCloseAsync(Ct));
        await c.Group.PumpAsync(Ct);
        Assert.All(new[] { Alice, Bob }, i => Assert.Equal(ChannelPhase.Closing, c[i].State.Phase));
        Assert.Equal(c.Parameters.RatchetTarget(2), await c.EscrowSequenceAsync());

        var step = (await c[Bob].CheckLedgerAsync(Ct))!;
        Assert.Equal(MonitorCase.LatestRatchet, step.Decision.Case);
        Assert.All(step.Submissions, s => Assert.True(s.Success, s.ResultCodesText));
        Assert.Equal(MonitorCase.Settled, (await c[Alice].CheckLedgerAsync(Ct))!.Decision.Case);
        Assert.Equal(c.Expected(Alice, 500), await c.WalletBalanceAsync(Alice));
        Assert.Equal(c.Expected(Bob, 500), await c.WalletBalanceAsync(Bob));
    }

    [Fact]
    public async Task CrashAfterSigningRatchets_RestartFromFileCompletesTheRound()
    {
        await using var c = await LedgerChannel.OpenAsync(250, 750);
        Assert.Null(await c[Bob].ProposeAsync(LocalChannelGroup.Payment(c[Bob].State, Bob, Alice, Stroops.FromLumens(250)), Ct));
        await c[Alice].DrainInboxAsync(await c.NowAsync(), Ct); // Alice signs snapshots and ratchets
        c.Group.Crash(Alice);
        await c.Group.PumpAsync(Ct); // Bob completes; what he sends Alice is lost
        Assert.Equal(1, c[Bob].State.Latest!.Round);

        await c.Group.RestartAsync(Alice, Ct);
        await c.Group.PumpAsync(Ct);
        Assert.Equal(1, c[Alice].State.Latest!.Round);
        Assert.Null(await c[Bob].ProposeCloseAsync(Ct));
        await c.Group.PumpAsync(Ct);
        await c.MonitorUntilSettledAsync(Alice);
        Assert.Equal(c.Expected(Alice, 500), await c.WalletBalanceAsync(Alice));
    }

    /// <summary>Bob proposes round 1 and completes it; his ratchet signatures never reach Alice; then Bob vanishes.</summary>
    private static async Task BobCompletesRound1AloneAsync(LedgerChannel c)
    {
        Assert.Null(await c[Bob].ProposeAsync(LocalChannelGroup.Payment(c[Bob].State, Bob, Alice, Stroops.FromLumens(250)), Ct));
        var now = await c.NowAsync();
        await c[Alice].DrainInboxAsync(now, Ct);
        c.Group.Disconnect(Alice);
        await c[Bob].DrainInboxAsync(now, Ct);
        c.Group.Reconnect(Alice);
        c.Group.Disconnect(Bob);
        Assert.Equal(1, c[Bob].State.Latest!.Round);
        Assert.Equal(0, c[Alice].State.Latest!.Round);
        Assert.True(c[Alice].State.Pending!.RatchetsSigned);
    }
}
