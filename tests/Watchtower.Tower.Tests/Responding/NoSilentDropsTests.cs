using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Watchtower.Contracts.Messages;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Responding;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Responding;

/// <summary>Work the responders cannot complete now is re-scheduled, counted and visible, never dropped.</summary>
public class NoSilentDropsTests
{
    private static OverdueWorkMonitor Monitor(ResponderRig rig, TimeSpan bound) =>
        new(rig.Store, rig.Clock, rig.Retries, Options.Create(new OverdueOptions { Bound = bound }), rig.Metrics, rig.Time,
            NullLogger<OverdueWorkMonitor>.Instance);

    private static async Task<ScheduledItem> FollowUpOf(ResponderRig rig) =>
        Assert.Single(await rig.Store.DueAsync(ulong.MaxValue, 10, default), i => i.Kind == ScheduleKind.FollowUp);

    [Fact]
    public async Task LedgerApiDownLongerThanTheImmediateRetries_TheBreachIsCounteredOnceItIsBack_RetriesCounted_OverdueMeanwhile()
    {
        using var rig = new ResponderRig();
        var monitor = Monitor(rig, TimeSpan.FromSeconds(20));
        var bundle = rig.FarDeadlineBundle();
        await rig.UploadAsync(bundle: bundle);
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1)); // the counterparty cashes round 1
        rig.Ledger.Unreachable = true;

        // The breach's trigger, then the follow-ups the tailer fires while ledgers keep closing: 45 s of outage.
        await rig.TriggerAsync(TriggerKind.Activity);
        Assert.Equal(rig.Ledger.CloseTime, (await FollowUpOf(rig)).DueTime); // first retry: the next ledger
        for (var i = 0; i < 9; i++)
        {
            await rig.TriggerAsync(TriggerKind.FollowUp);
        }

        Assert.Equal(10, rig.Metrics.ResponderRetries.WithLabels("ledger_unavailable").Value);
        Assert.Equal(rig.Ledger.CloseTime + 60, (await FollowUpOf(rig)).DueTime); // backoff capped at 60 s of ledger time
        Assert.NotNull(await rig.Store.GetAsync(rig.Id, default));
        var overdue = await monitor.SampleAsync(default);
        Assert.Equal(1, overdue.Items);
        Assert.Equal(45, overdue.Oldest.TotalSeconds);
        Assert.StartsWith("work overdue: 1 ", overdue.Problem, StringComparison.Ordinal);
        Assert.Equal(1, rig.Metrics.OverdueWork.Value);
        Assert.Empty(rig.Events);

        rig.Ledger.Unreachable = false;
        await rig.TriggerAsync(TriggerKind.FollowUp, advanceSeconds: 60);

        Assert.Equal(rig.R.Value, rig.EscrowSequence);
        Assert.Single(rig.Events.OfType<BreachCountered>());
        Assert.Equal(bundle.SnapshotMinTime, (await FollowUpOf(rig)).DueTime);
        Assert.Null((await monitor.SampleAsync(default)).Problem);
        Assert.Equal(0, rig.Metrics.OverdueWork.Value);
        Assert.Equal(10, rig.Metrics.ResponderRetries.WithLabels("ledger_unavailable").Value);
    }

    [Fact]
    public void RetryDelays_StartOnTheNextLedger_ThenDouble_UpToTheCap() =>
        Assert.Equal([0UL, 5, 10, 20, 40, 60, 60],
            Enumerable.Range(1, 7).Select(n => RetrySchedule.DelaySeconds(n, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60))));

    [Fact]
    public async Task AnsweredFollowUp_LeavesTheSchedule_InsteadOfFiringForever()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync(bundle: rig.FarDeadlineBundle());
        // A retry the responder had scheduled, answered now with nothing left to do (the channel is untouched).
        await rig.Store.ScheduleFollowUpAsync(rig.Id, rig.Ledger.CloseTime + 5, default);

        await rig.TriggerAsync(TriggerKind.FollowUp);

        Assert.DoesNotContain(await rig.Store.DueAsync(ulong.MaxValue, 10, default), i => i.Kind == ScheduleKind.FollowUp);
    }

    [Fact]
    public async Task MissedDeadline_IsCountedOnce_AndStopsFiring()
    {
        using var rig = new ResponderRig();
        await rig.UploadAsync();

        // Ledger time is past maxTime(v_max): the ratchet cannot be submitted any more.
        await rig.TriggerAsync(TriggerKind.Deadline, advanceSeconds: Watchtower.TestSupport.TestChannel.TimeoutClaim + 120);

        Assert.Equal(1, rig.Metrics.ResponderFailures.WithLabels("deadline_missed").Value);
        Assert.DoesNotContain(await rig.Store.DueAsync(ulong.MaxValue, 10, default), i => i.Kind == ScheduleKind.Deadline);
    }

    [Fact]
    public async Task OverdueSchedule_IsReported_WhenNothingTriggersIt()
    {
        using var rig = new ResponderRig();
        var monitor = Monitor(rig, TimeSpan.FromSeconds(20));
        await rig.UploadAsync(bundle: rig.FarDeadlineBundle());
        await rig.Store.ScheduleFollowUpAsync(rig.Id, rig.Ledger.CloseTime + 10, default);
        await rig.TriggerAsync(TriggerKind.Activity); // ledger time +5: this process has seen it; the follow-up is not due yet

        // The tailer stalls: no ledger, no trigger; ledger time moves on with the clock.
        rig.Time.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(0, (await monitor.SampleAsync(default)).Items);
        rig.Time.Advance(TimeSpan.FromSeconds(30));

        var overdue = await monitor.SampleAsync(default);
        Assert.Equal(1, overdue.Items);
        Assert.Equal(rig.Id, overdue.OldestChannel);
        Assert.True(rig.Metrics.OverdueWorkOldest.Value > 20);
    }
}
