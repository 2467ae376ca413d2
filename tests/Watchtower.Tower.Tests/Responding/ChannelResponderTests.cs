using Watchtower.Contracts.Messages;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Responding;

public class ChannelResponderTests
{
    [Fact]
    public async Task StaleRatchet_IsCountered_ThenSnapshotsSettleTheChannel_AndItIsForgotten()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1)); // the counterparty cashes round 1

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Equal(rig.R.Value, rig.EscrowSequence);
        var countered = Assert.Single(rig.Events.OfType<BreachCountered>());
        Assert.Equal(rig.Channel.RatchetTarget(1).Value, countered.ObservedEscrowSequence);
        Assert.Contains(await rig.Store.DueAsync(rig.SnapshotMinTime, 10, default), i => i.Kind == ScheduleKind.FollowUp && i.DueTime == rig.SnapshotMinTime);

        await rig.TriggerAsync(TriggerKind.FollowUp, advanceSeconds: rig.SnapshotMinTime - rig.Ledger.CloseTime);

        Assert.Equal(rig.R.Value + 2, rig.EscrowSequence);
        Assert.Equal(2, Assert.Single(rig.Events.OfType<SnapshotsSubmitted>()).TransactionHashes.Length);
        Assert.Single(rig.Events.OfType<ChannelSettled>());
        Assert.Null(await rig.Store.GetAsync(rig.Id, default));
    }

    [Fact]
    public async Task ReactionLatency_RunsFromTheLedgerCloseToTheSubmission_NotToItsInclusion()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        // The ledger API answers a submission only once the next ledger includes it, 5 s later.
        rig.Ledger.OnSubmit = () => rig.Time.Advance(TimeSpan.FromSeconds(5));

        await rig.TriggerAsync(TriggerKind.Activity); // handled 1 s after the close

        Assert.Equal(1, rig.Metrics.ReactionLatency.Count);
        Assert.Equal(1.0, rig.Metrics.ReactionLatency.Sum);
    }

    [Fact]
    public async Task Deadline_WithTheWalletOffline_ForceClosesAtTheLatestState()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();

        await rig.TriggerAsync(TriggerKind.Deadline);

        Assert.Equal(rig.R.Value, rig.EscrowSequence);
        Assert.Single(rig.Events.OfType<DeadlineForceClosed>());
        Assert.DoesNotContain(rig.Events, e => e is BreachCountered);
    }

    [Fact]
    public async Task HonestForceCloseByTheCounterparty_GetsTheSnapshotsSubmittedAtMinTime()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.Apply(rig.Channel.Ratchet(ResponderRig.Round, participant: 1));

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Equal(0, rig.AppliedFrom(rig.Escrow));
        var due = await rig.Store.DueAsync(ulong.MaxValue, 10, default);
        Assert.Equal([new ScheduledItem(rig.Id, ScheduleKind.FollowUp, rig.SnapshotMinTime)], due.ToArray());

        await rig.TriggerAsync(TriggerKind.FollowUp, advanceSeconds: rig.SnapshotMinTime - rig.Ledger.CloseTime);

        Assert.Equal(2, rig.AppliedFrom(rig.Escrow));
        Assert.Null(await rig.Store.GetAsync(rig.Id, default));
    }

    [Fact]
    public async Task PartlyExecutedSnapshots_AreCompleted()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.Apply(rig.Channel.Ratchet(ResponderRig.Round, participant: 1));
        rig.Ledger.CloseLedger(rig.SnapshotMinTime - rig.Ledger.CloseTime);
        rig.Ledger.Apply(rig.Channel.Snapshots(ResponderRig.Round)[0]);

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Equal(rig.R.Value + 2, rig.EscrowSequence);
        Assert.Equal(["snapshot 2"], rig.Events.OfType<SnapshotsSubmitted>().Select(s => $"snapshot {s.TransactionHashes.Length + 1}"));
        Assert.Single(rig.Events.OfType<ChannelSettled>());
    }

    [Fact]
    public async Task SettledChannel_IsForgottenWithoutSubmitting()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.Apply(rig.Channel.Ratchet(ResponderRig.Round, participant: 1));
        rig.Ledger.CloseLedger(rig.SnapshotMinTime - rig.Ledger.CloseTime);
        foreach (var s in rig.Channel.Snapshots(ResponderRig.Round))
        {
            rig.Ledger.Apply(s);
        }
        var submissions = rig.Ledger.Submissions;

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Equal(submissions, rig.Ledger.Submissions);
        Assert.Single(rig.Events.OfType<ChannelSettled>());
        Assert.Null(await rig.Store.GetAsync(rig.Id, default));
        Assert.Empty(await rig.Store.DueAsync(ulong.MaxValue, 10, default));
    }

    [Fact]
    public async Task EscrowBeyondTheLastSnapshot_IsReportedCorrupted_AndNothingIsSubmitted()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.CreateAccount(rig.Escrow, rig.R.Value + 7);
        var submissions = rig.Ledger.Submissions;

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Equal(submissions, rig.Ledger.Submissions);
        Assert.Single(rig.Events.OfType<ChannelCorrupted>());
    }

    [Fact]
    public async Task ReplayedTrigger_NeverSubmitsTheRatchetTwice()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        var ledger = rig.Ledger.CloseLedger();
        var trigger = new TriggerChannel(rig.Id, TriggerKind.Activity, ledger.Header.Sequence, ledger.Header.CloseTime, null, rig.Time.GetUtcNow());

        await Task.WhenAll(rig.HandleAsync(trigger), rig.HandleAsync(trigger));
        await rig.HandleAsync(trigger);

        Assert.Equal(1, rig.AppliedFrom(rig.Channel.VersionKeys[0].AccountId));
        Assert.Equal(rig.R.Value, rig.EscrowSequence);
        Assert.Single(rig.Events.OfType<BreachCountered>());
    }

    [Fact]
    public async Task CrashAfterSubmittingTheRatchet_IsRecoveredByTheNextTrigger()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        // The previous responder got v_max onto the ledger, then died before recording anything.
        rig.Ledger.Apply(rig.Channel.Ratchet(ResponderRig.Round, participant: 0));

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Equal(1, rig.AppliedFrom(rig.Channel.VersionKeys[0].AccountId));
        Assert.Equal([new ScheduledItem(rig.Id, ScheduleKind.FollowUp, rig.SnapshotMinTime)], (await rig.Store.DueAsync(ulong.MaxValue, 10, default)).ToArray());
    }

    [Fact]
    public async Task LowFee_IsFeeBumpedFromTheTowerAccount()
    {
        using var rig = new ResponderRig(withFeeAccount: true);
        await rig.UploadAsync();
        rig.Ledger.MinFeePerOperation = 5000;
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1) is var stale ? new FeeBumpEnvelope(FeeBumpTransaction.Wrap(stale, KeyPair.Random().AccountId, 20_000), []) : stale);

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Equal(rig.R.Value, rig.EscrowSequence);
        var bump = Assert.IsType<FeeBumpEnvelope>(rig.Ledger.Applied[^1]);
        Assert.Equal(rig.FeePayer.Keys!.AccountId, bump.FeeBump.FeeSource.Account);
        // In the surge the bid is a tenth above the clearing price, per operation (fee bump + ratchet).
        Assert.Equal(5500 * 2, bump.FeeBump.Fee);
        Assert.Equal(1, rig.Metrics.FeeBumps.Value);
    }

    [Fact]
    public async Task TransientSubmissionFailures_AreRetried()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        rig.Ledger.FailNextSubmissions = 2;

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Equal(rig.R.Value, rig.EscrowSequence);
        Assert.Equal(2, rig.Metrics.Submissions.WithLabels("ratchet", "error").Value);
    }

    [Fact]
    public async Task ForgottenChannel_IsIgnored()
    {
        using var rig = new ResponderRig();

        await rig.TriggerAsync(TriggerKind.Activity);

        Assert.Empty(rig.Events);
        Assert.Equal(0, rig.Ledger.Submissions);
    }
}
