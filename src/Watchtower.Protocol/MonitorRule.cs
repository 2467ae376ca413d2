using Watchtower.Stellar;

namespace Watchtower.Protocol;

/// <summary>
/// One round as the monitor sees it: the ratchet target r (= bumpTo of the ratchet), the number
/// of snapshots n (they sit at r+1 .. r+n), the ratchet's maxTime and the snapshots' minTime.
/// </summary>
public sealed record WatchedRound(
    SequenceNumber RatchetTarget,
    int SnapshotCount,
    DateTimeOffset RatchetMaxTime,
    DateTimeOffset SnapshotMinTime)
{
    public SequenceNumber LastSnapshotSequence => RoundSequences.FinalSequence(RatchetTarget, SnapshotCount);
}

/// <summary>
/// What the watcher holds. <paramref name="BaseSequence"/> is R's sequence after funding
/// (strictly below round 0's ratchet target): R at that value means nobody has ratcheted yet.
/// <paramref name="Pending"/> is a later round whose snapshots are fully signed but whose ratchet
/// we do not hold (we signed the others' ratchets); a counterparty may ratchet to it.
/// </summary>
public sealed record MonitorInput(
    SequenceNumber BaseSequence,
    WatchedRound Latest,
    WatchedRound? Pending,
    TimeSpan SynchronyDelay);

public enum MonitorCase
{
    /// <summary>R unchanged since funding and the ratchet is not yet within D of expiry.</summary>
    Idle,
    /// <summary>R unchanged, but maxTime(v_max) − now ≤ D: refresh the round or force close.</summary>
    Timeout,
    /// <summary>base &lt; R_q' &lt; r: a stale ratchet (breach).</summary>
    StaleRatchet,
    /// <summary>R_q' == r: the latest ratchet is on the ledger.</summary>
    LatestRatchet,
    /// <summary>r &lt; R_q' &lt; r+n: the latest snapshots are partly applied.</summary>
    PartiallyApplied,
    /// <summary>R_q' == r+n (of the latest or the pending round), or R is gone: nothing left to do.</summary>
    Settled,
    /// <summary>R_q' == r of the pending round: a counterparty ratcheted to the round we lack a ratchet for.</summary>
    PendingRatchet,
    /// <summary>Pending round's snapshots partly applied.</summary>
    PendingPartiallyApplied,
    /// <summary>R_q' matches no round we hold: no safe action exists.</summary>
    Corrupted,
    /// <summary>A stale ratchet is on the ledger but our ratchet has expired: alert, nothing can be submitted.</summary>
    RatchetExpired,
}

public enum MonitorAction
{
    None,
    SubmitRatchet,
    SubmitLatestSnapshots,
    SubmitPendingSnapshots,
    WaitUntil,
    StopWatching,
    Alert,
}

/// <summary>
/// The answer: what to do now. For snapshot actions, <paramref name="FirstSnapshot"/> is the
/// 0-based index of the first snapshot still to submit; <paramref name="NotBefore"/> is the
/// ledger time from which the submission is valid (set for <see cref="MonitorAction.WaitUntil"/>).
/// </summary>
public sealed record MonitorDecision(MonitorCase Case, MonitorAction Action, int FirstSnapshot, DateTimeOffset? NotBefore);

/// <summary>
/// The spec's monitor and timeout rules as one pure function, shared by the wallet runtime and the
/// tower. Time is the ledger's close time, supplied by the caller.
/// </summary>
public static class MonitorRule
{
    /// <summary>
    /// The rule for a watcher that holds only round <paramref name="round"/>, the latest (the tower):
    /// R's funded sequence is not known, but it is strictly below r_0 and nothing but a ratchet
    /// lifts R to r_0 or above, so any R below r_0 is the untouched channel; and R at the final
    /// sequence of a later round (one the watcher never got) is a settled channel, not a corrupted one.
    /// </summary>
    public static MonitorDecision DecideLatest(ulong round, WatchedRound latest, TimeSpan synchronyDelay, SequenceNumber? escrowSequence, DateTimeOffset ledgerCloseTime)
    {
        ArgumentNullException.ThrowIfNull(latest);
        if (escrowSequence is { } settledAt && RoundSequences.IsLaterRoundFinal(settledAt, latest.LastSnapshotSequence, latest.SnapshotCount))
        {
            return new MonitorDecision(MonitorCase.Settled, MonitorAction.StopWatching, 0, null);
        }

        var r0 = RoundSequences.InitialRatchetTarget(latest.RatchetTarget, checked((long)round), latest.SnapshotCount);
        var baseSequence = escrowSequence is { } q && q < r0 ? q : r0 - 1;
        return Decide(new MonitorInput(baseSequence, latest, Pending: null, synchronyDelay), escrowSequence, ledgerCloseTime);
    }

    public static MonitorDecision Decide(MonitorInput input, SequenceNumber? escrowSequence, DateTimeOffset ledgerCloseTime)
    {
        ArgumentNullException.ThrowIfNull(input);
        var latest = input.Latest;
        var pending = input.Pending;

        // The last snapshot may merge R away: an absent escrow means the channel paid out.
        if (escrowSequence is not { } q)
        {
            return new MonitorDecision(MonitorCase.Settled, MonitorAction.StopWatching, 0, null);
        }

        if (q < input.BaseSequence)
        {
            return new MonitorDecision(MonitorCase.Corrupted, MonitorAction.Alert, 0, null);
        }

        if (q == input.BaseSequence)
        {
            var remaining = latest.RatchetMaxTime - ledgerCloseTime;
            return remaining <= input.SynchronyDelay
                ? new MonitorDecision(MonitorCase.Timeout, MonitorAction.SubmitRatchet, 0, null)
                : new MonitorDecision(MonitorCase.Idle, MonitorAction.None, 0, null);
        }

        if (q < latest.RatchetTarget)
        {
            return ledgerCloseTime <= latest.RatchetMaxTime
                ? new MonitorDecision(MonitorCase.StaleRatchet, MonitorAction.SubmitRatchet, 0, null)
                : new MonitorDecision(MonitorCase.RatchetExpired, MonitorAction.Alert, 0, null);
        }

        if (q <= latest.LastSnapshotSequence)
        {
            var applied = (int)(q.Value - latest.RatchetTarget.Value);
            if (applied == latest.SnapshotCount)
            {
                return new MonitorDecision(MonitorCase.Settled, MonitorAction.StopWatching, 0, null);
            }

            // While a counterparty could still ratchet to the pending round, executing the latest
            // round would race it; the spec waits until that ratchet has expired.
            var notBefore = latest.SnapshotMinTime;
            if (applied == 0 && pending is not null && pending.RatchetMaxTime >= notBefore)
            {
                notBefore = pending.RatchetMaxTime.AddSeconds(1);
            }

            var @case = applied == 0 ? MonitorCase.LatestRatchet : MonitorCase.PartiallyApplied;
            return ledgerCloseTime >= notBefore
                ? new MonitorDecision(@case, MonitorAction.SubmitLatestSnapshots, applied, notBefore)
                : new MonitorDecision(@case, MonitorAction.WaitUntil, applied, notBefore);
        }

        if (pending is not null && q >= pending.RatchetTarget && q <= pending.LastSnapshotSequence)
        {
            var applied = (int)(q.Value - pending.RatchetTarget.Value);
            if (applied == pending.SnapshotCount)
            {
                return new MonitorDecision(MonitorCase.Settled, MonitorAction.StopWatching, 0, null);
            }

            var @case = applied == 0 ? MonitorCase.PendingRatchet : MonitorCase.PendingPartiallyApplied;
            return ledgerCloseTime >= pending.SnapshotMinTime
                ? new MonitorDecision(@case, MonitorAction.SubmitPendingSnapshots, applied, pending.SnapshotMinTime)
                : new MonitorDecision(@case, MonitorAction.WaitUntil, applied, pending.SnapshotMinTime);
        }

        return new MonitorDecision(MonitorCase.Corrupted, MonitorAction.Alert, 0, null);
    }
}
