using System.Collections.Immutable;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Tower.Detection;

/// <summary>What the decision needs to know about the latest round the wallet handed over.</summary>
/// <param name="Round">j.</param>
/// <param name="RatchetTarget">r = r_j, the sequence v_max bumps R to.</param>
/// <param name="Participants">n, the number of snapshots.</param>
/// <param name="RatchetMaxTime">maxTime(v_max) = M_j + TIMEOUT_CLAIM (unix seconds).</param>
/// <param name="SnapshotMinTime">minTime(T_max) (unix seconds).</param>
/// <param name="ClaimDelay">D.</param>
public sealed record ProtectedRound(
    ulong Round,
    SequenceNumber RatchetTarget,
    int Participants,
    ulong RatchetMaxTime,
    ulong SnapshotMinTime,
    TimeSpan ClaimDelay)
{
    /// <summary>r_0 = r_j − j(n+1): below it no ratchet of this channel was ever applied.</summary>
    public SequenceNumber InitialRatchetTarget => RoundSequences.InitialRatchetTarget(RatchetTarget, checked((long)Round), Participants);

    /// <summary>r + n: R's sequence once every snapshot of the round has executed.</summary>
    public SequenceNumber FinalSequence => RoundSequences.FinalSequence(RatchetTarget, Participants);
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
/// The tower's reading of the spec's monitor and timeout rules. The rule itself is the one the
/// wallets use (<see cref="MonitorRule.DecideLatest"/> in Watchtower.Protocol); this adapter feeds it what a
/// bundle tells the tower and turns its answer into the tower's actions (follow-ups by ledger
/// time, the deadline watch, forgetting, alerts). Pure: it reads only R's sequence and ledger
/// time, so replays, duplicate triggers and crashes between a submission and its record converge.
/// </summary>
public static class ChannelDecision
{
    public static Decision Decide(ProtectedRound round, Observation seen, TimeSpan safetyMargin)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(seen);
        var now = DateTimeOffset.FromUnixTimeSeconds((long)seen.LedgerCloseTime);

        var latest = new WatchedRound(round.RatchetTarget, round.Participants,
            round.RatchetMaxTime == 0 ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeSeconds((long)round.RatchetMaxTime),
            DateTimeOffset.FromUnixTimeSeconds((long)round.SnapshotMinTime));
        var d = MonitorRule.DecideLatest(round.Round, latest, round.ClaimDelay + safetyMargin, seen.EscrowSequence, now);

        var expired = round.RatchetMaxTime != 0 && seen.LedgerCloseTime > round.RatchetMaxTime;
        return d.Case switch
        {
            MonitorCase.Settled => new Decision(ChannelSituation.Settled, [new Forget()]),
            MonitorCase.Corrupted => new Decision(ChannelSituation.Corrupted, [new ReportCorrupted(), new Forget()]),
            MonitorCase.RatchetExpired => new Decision(ChannelSituation.StaleRatchet, [new ReportDeadlineMissed()]),
            MonitorCase.Idle => new Decision(ChannelSituation.Untouched, []),
            MonitorCase.Timeout when expired => new Decision(ChannelSituation.Untouched, [new ReportDeadlineMissed()]),
            MonitorCase.Timeout => new Decision(ChannelSituation.Untouched,
                [new SubmitRatchet(RatchetReason.Deadline), new ScheduleFollowUp(round.SnapshotMinTime)]),
            MonitorCase.StaleRatchet => new Decision(ChannelSituation.StaleRatchet,
                [new SubmitRatchet(RatchetReason.Breach), new ScheduleFollowUp(round.SnapshotMinTime)]),
            MonitorCase.LatestRatchet or MonitorCase.PartiallyApplied => new Decision(
                d.Case == MonitorCase.LatestRatchet ? ChannelSituation.LatestRatchet : ChannelSituation.SnapshotsPartlyApplied,
                [new StopDeadlineWatch(), d.Action == MonitorAction.SubmitLatestSnapshots
                    ? new SubmitSnapshots(d.FirstSnapshot)
                    : new ScheduleFollowUp((ulong)d.NotBefore!.Value.ToUnixTimeSeconds())]),
            // Pending-round cases need a round the wallet did not hand over; the tower holds only the latest.
            _ => new Decision(ChannelSituation.Corrupted, [new ReportCorrupted(), new Forget()]),
        };
    }

    /// <summary>When the deadline watch must fire for this round (unix seconds of ledger time): maxTime(v_max) − D − margin.</summary>
    public static ulong DeadlineAt(ProtectedRound round, TimeSpan safetyMargin)
    {
        ArgumentNullException.ThrowIfNull(round);
        var window = (ulong)(round.ClaimDelay + safetyMargin).TotalSeconds;
        return round.RatchetMaxTime > window ? round.RatchetMaxTime - window : 0;
    }
}
