using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Ledger;
using Watchtower.Stellar;
using Watchtower.Tower.Detection;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Responding;

/// <summary>
/// Handles one trigger: loads and opens the channel's bundle, reads R's sequence, applies
/// <see cref="ChannelDecision"/> and carries out its actions. Safe to run any number of times for
/// the same channel, concurrently or after a crash: every step is re-derived from the ledger, and
/// a transaction already applied answers txBAD_SEQ, which only leads to reading R again.
/// Work it cannot complete (ledger API down, submissions giving up) is never dropped: it is
/// re-scheduled as a follow-up with capped backoff in ledger time until the channel is safe or its
/// deadline has passed; a follow-up it answered leaves the schedule. Store failures propagate (the
/// trigger stays unacknowledged and is retried by the consumer).
/// </summary>
public sealed class ChannelResponder(
    IChannelStore store,
    ILedgerClient ledger,
    TowerIdentity identity,
    TransactionSubmitter submitter,
    IOptions<DeadlineOptions> deadline,
    IOptions<ResponderOptions> options,
    RetrySchedule retries,
    LedgerClock clock,
    TowerMetrics metrics,
    TimeProvider time,
    ILogger<ChannelResponder> log)
{
    /// <summary>Re-reads of R after a submission changed (or contradicted) what the decision assumed.</summary>
    private const int MaxPasses = 4;

    public async Task HandleAsync(TriggerChannel trigger, IChannelEvents events, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        ArgumentNullException.ThrowIfNull(events);
        clock.Observe(trigger.LedgerCloseTime);
        var stored = await store.GetAsync(trigger.ChannelId, ct).ConfigureAwait(false);
        if (stored is null)
        {
            return; // forgotten (settled or released) since the trigger was emitted
        }

        Bundle bundle;
        try
        {
            bundle = BundleSealer.Open(SealedBundle.Parse(stored.SealedBundle.Span), identity.SealingKey);
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            log.LogError(e, "Channel {Channel}: stored bundle cannot be opened", trigger.ChannelId);
            metrics.ResponderFailures.WithLabels("bundle_unreadable").Inc();
            return;
        }

        var round = Watched(bundle);
        var context = new Context(trigger, bundle, round, events);
        try
        {
            for (var pass = 0; pass < MaxPasses; pass++)
            {
                var escrow = await ledger.LoadAccountAsync(bundle.Escrow, ct).ConfigureAwait(false);
                var decision = ChannelDecision.Decide(round, new Observation(escrow?.Sequence, context.CloseTime), deadline.Value.SafetyMargin);
                log.LogInformation("Channel {Channel} ({Kind} at ledger {Ledger}): R at {Sequence}, {Situation} -> {Actions}",
                    trigger.ChannelId, trigger.Kind, trigger.LedgerSequence, escrow?.Sequence.Value, decision.Situation,
                    decision.Actions.IsEmpty ? "no action" : string.Join(", ", decision.Actions.Select(a => a.GetType().Name)));
                if (!await ExecuteAsync(context, decision, escrow?.Sequence, ct).ConfigureAwait(false))
                {
                    await FinishAsync(context, ct).ConfigureAwait(false);
                    return;
                }
            }

            // The ledger kept moving under every pass (e.g. a racing counterparty): look again on the next ledgers.
            await RetryLaterAsync(context, "ledger_moving", ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsLedgerUnavailable(e, ct))
        {
            log.LogWarning(e, "Channel {Channel}: the ledger API failed; retrying on a later ledger", trigger.ChannelId);
            await RetryLaterAsync(context, "ledger_unavailable", ct).ConfigureAwait(false);
        }
    }

    /// <summary>The ledger API failed or timed out (not the trigger's own cancellation): the answer is to try again later.</summary>
    public static bool IsLedgerUnavailable(Exception e, CancellationToken ct) =>
        e is LedgerClientException or HttpRequestException or IOException
        || (e is OperationCanceledException && !ct.IsCancellationRequested);

    private sealed class Context(TriggerChannel trigger, Bundle bundle, ProtectedRound round, IChannelEvents events)
    {
        public TriggerChannel Trigger { get; } = trigger;
        public Bundle Bundle { get; } = bundle;
        public ProtectedRound Round { get; } = round;
        public IChannelEvents Events { get; } = events;
        public ulong CloseTime { get; } = (ulong)trigger.LedgerCloseTime.ToUnixTimeSeconds();

        /// <summary>This handling set the channel's follow-up: the one that brought it here is replaced, not answered.</summary>
        public bool FollowUpScheduled { get; set; }
    }

    /// <summary>Handled to the end: the follow-up this trigger answered (due by its ledger) leaves the schedule, and the backoff restarts.</summary>
    private async Task FinishAsync(Context c, CancellationToken ct)
    {
        if (!c.FollowUpScheduled)
        {
            await store.CompleteFollowUpAsync(c.Trigger.ChannelId, c.CloseTime, ct).ConfigureAwait(false);
        }
        retries.Completed(c.Trigger.ChannelId);
    }

    /// <summary>Carries out the actions; true when the ledger changed under them and must be read again.</summary>
    private async Task<bool> ExecuteAsync(Context c, Decision decision, SequenceNumber? observed, CancellationToken ct)
    {
        var id = c.Trigger.ChannelId;
        foreach (var action in decision.Actions)
        {
            switch (action)
            {
                case SubmitRatchet ratchet:
                {
                    // The reaction is the submission; the ledger API answers only once a ledger includes it.
                    var submittedAt = time.GetUtcNow();
                    var result = await submitter.SubmitAsync(c.Bundle.Ratchet, "ratchet", c.Bundle.Network, ct).ConfigureAwait(false);
                    switch (result.Result)
                    {
                        case SubmitResult.Applied:
                            metrics.ReactionLatency.Observe(Math.Max(0, (submittedAt - c.Trigger.LedgerCloseTime).TotalSeconds));
                            if (ratchet.Reason == RatchetReason.Breach)
                            {
                                metrics.Outcomes.WithLabels("breach_countered").Inc();
                                await c.Events.PublishAsync(new BreachCountered(id, c.Round.Round, c.Trigger.LedgerSequence,
                                    observed?.Value ?? 0, result.Hash.ToString()!, time.GetUtcNow()), ct).ConfigureAwait(false);
                            }
                            else
                            {
                                metrics.Outcomes.WithLabels("deadline_force_close").Inc();
                                await c.Events.PublishAsync(new DeadlineForceClosed(id, c.Round.Round, c.Trigger.LedgerSequence,
                                    result.Hash.ToString()!, time.GetUtcNow()), ct).ConfigureAwait(false);
                            }
                            break;
                        case SubmitResult.SequenceMismatch:
                            return true;
                        case SubmitResult.TooLate:
                            await DeadlineMissedAsync(id, ct).ConfigureAwait(false);
                            return false;
                        default:
                            await RetryLaterAsync(c, "ratchet_" + result.Result, ct).ConfigureAwait(false);
                            return false;
                    }
                    break;
                }

                case SubmitSnapshots snapshots:
                {
                    var hashes = new List<string>();
                    for (var k = snapshots.FromIndex; k < c.Bundle.Snapshots.Length; k++)
                    {
                        var result = await submitter.SubmitAsync(c.Bundle.Snapshots[k], "snapshot", c.Bundle.Network, ct).ConfigureAwait(false);
                        switch (result.Result)
                        {
                            case SubmitResult.Applied:
                                hashes.Add(result.Hash.ToString()!);
                                continue;
                            case SubmitResult.SequenceMismatch:
                                await PublishSnapshotsAsync(c, hashes, ct).ConfigureAwait(false);
                                return true;
                            case SubmitResult.TooEarly:
                                await PublishSnapshotsAsync(c, hashes, ct).ConfigureAwait(false);
                                await store.ScheduleFollowUpAsync(id, c.Round.SnapshotMinTime, ct).ConfigureAwait(false);
                                c.FollowUpScheduled = true;
                                return false;
                            default:
                                await PublishSnapshotsAsync(c, hashes, ct).ConfigureAwait(false);
                                await RetryLaterAsync(c, "snapshot_" + result.Result, ct).ConfigureAwait(false);
                                return false;
                        }
                    }
                    await PublishSnapshotsAsync(c, hashes, ct).ConfigureAwait(false);
                    // Every snapshot is in: read R again to confirm the settlement and free the storage.
                    return true;
                }

                case ScheduleFollowUp followUp:
                    await store.ScheduleFollowUpAsync(id, followUp.At, ct).ConfigureAwait(false);
                    c.FollowUpScheduled = true;
                    break;

                case StopDeadlineWatch:
                    await store.RemoveScheduledAsync(id, ScheduleKind.Deadline, ct).ConfigureAwait(false);
                    break;

                case ReportCorrupted:
                    metrics.Outcomes.WithLabels("corrupted").Inc();
                    log.LogError("Channel {Channel}: R at {Sequence} is past r+n = {Final}", id, observed?.Value, c.Round.FinalSequence.Value);
                    await c.Events.PublishAsync(new ChannelCorrupted(id, c.Round.Round, c.Trigger.LedgerSequence,
                        observed?.Value ?? 0, time.GetUtcNow()), ct).ConfigureAwait(false);
                    break;

                case ReportDeadlineMissed:
                    await DeadlineMissedAsync(id, ct).ConfigureAwait(false);
                    break;

                case Forget:
                    await store.ForgetAsync(id, c.Round.Round, ct).ConfigureAwait(false);
                    if (decision.Situation == ChannelSituation.Settled)
                    {
                        metrics.Outcomes.WithLabels("settled").Inc();
                        await c.Events.PublishAsync(new ChannelSettled(id, c.Round.Round, c.Trigger.LedgerSequence, time.GetUtcNow()), ct).ConfigureAwait(false);
                    }
                    break;
            }
        }
        return false;
    }

    private async Task PublishSnapshotsAsync(Context c, List<string> hashes, CancellationToken ct)
    {
        if (hashes.Count == 0)
        {
            return;
        }
        metrics.Outcomes.WithLabels("snapshots_submitted").Inc();
        await c.Events.PublishAsync(new SnapshotsSubmitted(c.Trigger.ChannelId, c.Round.Round, c.Trigger.LedgerSequence,
            [.. hashes], time.GetUtcNow()), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Could not finish now: a follow-up makes the tailer trigger the channel again, on the next
    /// ledger after a first failure, then with doubling ledger-time delays up to the cap.
    /// </summary>
    private async Task RetryLaterAsync(Context c, string reason, CancellationToken ct)
    {
        var label = reason.ToLowerInvariant();
        metrics.ResponderFailures.WithLabels(label).Inc();
        metrics.ResponderRetries.WithLabels(label).Inc();
        var failures = retries.Failed(c.Trigger.ChannelId, c.CloseTime);
        var delay = RetrySchedule.DelaySeconds(failures, options.Value.FollowUpRetryInitialDelay, options.Value.FollowUpRetryMaxDelay);
        await store.ScheduleFollowUpAsync(c.Trigger.ChannelId, c.CloseTime + delay, ct).ConfigureAwait(false);
        c.FollowUpScheduled = true;
        log.LogWarning("Channel {Channel}: not completed ({Reason}, {Failures} in a row); retrying {Delay} s of ledger time after ledger {Ledger}",
            c.Trigger.ChannelId, label, failures, delay, c.Trigger.LedgerSequence);
    }

    /// <summary>The latest ratchet can no longer be applied: alert, and stop re-firing the deadline (nothing is left to try).</summary>
    private async Task DeadlineMissedAsync(ChannelId id, CancellationToken ct)
    {
        metrics.ResponderFailures.WithLabels("deadline_missed").Inc();
        log.LogError("Channel {Channel}: the latest ratchet expired before it could be submitted", id);
        await store.RemoveScheduledAsync(id, ScheduleKind.Deadline, ct).ConfigureAwait(false);
    }

    public static ProtectedRound Watched(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return new ProtectedRound(bundle.Round, bundle.RatchetTarget, bundle.Participants,
            bundle.RatchetTimeBounds.MaxTime, bundle.SnapshotMinTime, bundle.ClaimDelay);
    }
}
