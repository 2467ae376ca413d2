using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Tower.Detection;

/// <summary>What the decision needs to know about the latest round the wallet handed over.</summary>
/// <param name="Round">j.</param>
/// <param name="RatchetTarget">r = r_j, the sequence v_max bumps R to.</param>
/// <param name="Participants">n, the number of snapshots.</param>
/// <param name="RatchetMaxTime">maxTime(v_max) = M_j + TIMEOUT_CLAIM (unix seconds).</param>
/// <param name="SnapshotMinTime">minTime(T_max) (unix seconds).</param>
/// <param name="ClaimDelay">D.</param>
public sealed record WatchedRound(
    ulong Round,
    SequenceNumber RatchetTarget,
    int Participants,
    ulong RatchetMaxTime,
    ulong SnapshotMinTime,
    TimeSpan ClaimDelay)
{
    /// <summary>r_0 = r_j − j(n+1): below it no ratchet of this channel was ever applied.</summary>
    public SequenceNumber InitialRatchetTarget => RatchetTarget - checked((long)Round * (Participants + 1));

    /// <summary>r + n: R's sequence once every snapshot of the round has executed.</summary>
    public SequenceNumber FinalSequence => RatchetTarget + Participants;
}

/// <summary>The ledger as the responder sees it: R's sequence (null when R no longer exists) and the ledger close time.</summary>
public sealed record Observation(SequenceNumber? EscrowSequence, ulong LedgerCloseTime);

/// <summary>Where the channel stands on the ledger relative to the watched round.</summary>
public enum ChannelSituation
{
    /// <summary>R below r_0: no ratchet of this channel was ever applied.</summary>
    Untouched,

    /// <summary>r_0 ≤ R &lt; r: an older round's ratchet (and maybe some of its snapshots) is on the ledger.</summary>
    StaleRatchet,

    /// <summary>R = r: the latest ratchet is on the ledger, no snapshot yet.</summary>
    LatestRatchet,

    /// <summary>r &lt; R &lt; r+n: some of the latest snapshots executed.</summary>
    SnapshotsPartlyApplied,

    /// <summary>R = r+n, or R was merged away: the channel is closed.</summary>
    Settled,

    /// <summary>R &gt; r+n: a state the tower does not know about; nothing safe to do.</summary>
    Corrupted,
}

public abstract record ResponderAction;

/// <summary>Submit v_max. <paramref name="Reason"/> tells breach countering from a deadline force close.</summary>
public sealed record SubmitRatchet(RatchetReason Reason) : ResponderAction;

/// <summary>Submit snapshots T_max[FromIndex..n−1] in order (index 0 has sequence r+1).</summary>
public sealed record SubmitSnapshots(int FromIndex) : ResponderAction;

/// <summary>Look again once ledger close time ≥ <paramref name="At"/> (unix seconds).</summary>
public sealed record ScheduleFollowUp(ulong At) : ResponderAction;

/// <summary>The deadline watch has served its purpose (the latest ratchet is on the ledger).</summary>
public sealed record StopDeadlineWatch : ResponderAction;

/// <summary>Stop watching and free the storage.</summary>
public sealed record Forget : ResponderAction;

/// <summary>Raise the corrupted-channel alert (metric + event).</summary>
public sealed record ReportCorrupted : ResponderAction;

/// <summary>v_max can no longer be applied (ledger time is past its maxTime): alert.</summary>
public sealed record ReportDeadlineMissed : ResponderAction;

public enum RatchetReason
{
    Breach,
    Deadline,
}

public sealed record Decision(ChannelSituation Situation, ImmutableArray<ResponderAction> Actions)
{
    public bool Equals(Decision? other) =>
        other is not null && Situation == other.Situation && Actions.SequenceEqual(other.Actions);

    public override int GetHashCode() => HashCode.Combine(Situation, Actions.Length);
}

/// <summary>
/// The spec's monitor and timeout rules as one pure function (DESIGN.md, "What the tower does").
/// It reads only R's sequence and ledger time, so it gives the same answer however often and for
/// whatever reason it is asked: replays, duplicate triggers and crashes between a submission and
/// its record all converge.
/// </summary>
public static class ChannelDecision
{
    public static Decision Decide(WatchedRound round, Observation seen, TimeSpan safetyMargin)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(seen);
        var now = seen.LedgerCloseTime;

        if (seen.EscrowSequence is not { } q)
        {
            return new Decision(ChannelSituation.Settled, [new Forget()]);
        }

        var r = round.RatchetTarget;
        if (q > round.FinalSequence)
        {
            return new Decision(ChannelSituation.Corrupted, [new ReportCorrupted(), new Forget()]);
        }

        if (q == round.FinalSequence)
        {
            return new Decision(ChannelSituation.Settled, [new Forget()]);
        }

        if (q > r)
        {
            var applied = checked((int)(q - r));
            return new Decision(ChannelSituation.SnapshotsPartlyApplied, [new StopDeadlineWatch(), SnapshotsAt(round, now, applied)]);
        }

        if (q == r)
        {
            return new Decision(ChannelSituation.LatestRatchet, [new StopDeadlineWatch(), SnapshotsAt(round, now, 0)]);
        }

        var stale = q >= round.InitialRatchetTarget;
        if (!stale && !DeadlineReached(round, now, safetyMargin))
        {
            return new Decision(ChannelSituation.Untouched, []);
        }

        var situation = stale ? ChannelSituation.StaleRatchet : ChannelSituation.Untouched;
        if (round.RatchetMaxTime != 0 && now > round.RatchetMaxTime)
        {
            return new Decision(situation, [new ReportDeadlineMissed()]);
        }

        return new Decision(situation, [
            new SubmitRatchet(stale ? RatchetReason.Breach : RatchetReason.Deadline),
            new ScheduleFollowUp(round.SnapshotMinTime),
        ]);
    }

    /// <summary>The timeout rule: maxTime(v_max) − ledger time ≤ D (+ the operator's safety margin).</summary>
    public static bool DeadlineReached(WatchedRound round, ulong ledgerCloseTime, TimeSpan safetyMargin)
    {
        ArgumentNullException.ThrowIfNull(round);
        if (round.RatchetMaxTime == 0)
        {
            return false;
        }
        var window = (ulong)(round.ClaimDelay + safetyMargin).TotalSeconds;
        return ledgerCloseTime + window >= round.RatchetMaxTime;
    }

    /// <summary>When the deadline watch must fire for this round (unix seconds of ledger time).</summary>
    public static ulong DeadlineAt(WatchedRound round, TimeSpan safetyMargin)
    {
        ArgumentNullException.ThrowIfNull(round);
        var window = (ulong)(round.ClaimDelay + safetyMargin).TotalSeconds;
        return round.RatchetMaxTime > window ? round.RatchetMaxTime - window : 0;
    }

    private static ResponderAction SnapshotsAt(WatchedRound round, ulong now, int from) =>
        now >= round.SnapshotMinTime ? new SubmitSnapshots(from) : new ScheduleFollowUp(round.SnapshotMinTime);
}
