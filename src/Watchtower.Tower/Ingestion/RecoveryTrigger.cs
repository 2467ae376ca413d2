using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Ledger;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Ingestion;

/// <summary>
/// After a store loss, a channel stored again may already have been breached while the store was
/// empty: the tailer saw that ledger with nothing to match. The responder decides from R's
/// sequence read when it runs (a stale ratchet is still a breach then), so one Activity trigger
/// right after the channel is stored again counters it. Only inside the recovery window.
/// </summary>
public sealed class RecoveryTrigger(StoreGuard guard, ILedgerClient ledger, ITriggerPublisher publisher, TimeProvider time)
{
    public async Task AfterStoredAsync(ChannelId channelId, StoreOutcome outcome, CancellationToken ct)
    {
        // Unchanged too: the first attempt may have stored the channel and failed before its trigger.
        if (outcome is not (StoreOutcome.Stored or StoreOutcome.Unchanged))
        {
            return;
        }
        if (outcome == StoreOutcome.Stored && !guard.IsRecovering)
        {
            // A channel new to the store right after a loss nobody has seen yet: look now.
            await guard.VerifyEpochAsync(ct).ConfigureAwait(false);
        }
        if (!guard.IsRecovering)
        {
            return;
        }
        // Ledger time for the decision (deadlines, minTime), never the tower's clock.
        var latest = await ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
        await publisher.PublishAsync([new TriggerChannel(channelId, TriggerKind.Activity, latest.Sequence, latest.CloseTime, null, time.GetUtcNow())], ct)
            .ConfigureAwait(false);
    }
}
