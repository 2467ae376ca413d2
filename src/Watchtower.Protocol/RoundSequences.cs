using Watchtower.Stellar;

namespace Watchtower.Protocol;

/// <summary>
/// The channel's sequence arithmetic (spec: round j's ratchet bumps R to r_j = r_0 + j(n + 1); its
/// n snapshots sit at r_j + 1 .. r_j + n), in one place for the wallet, the validator and the tower.
/// </summary>
public static class RoundSequences
{
    /// <summary>r_j = r_0 + j(n + 1).</summary>
    public static SequenceNumber RatchetTarget(SequenceNumber initialTarget, long round, int participants) =>
        initialTarget + (round * (participants + 1));

    /// <summary>r_0 = r_j − j(n + 1): below it no ratchet of the channel was ever applied.</summary>
    public static SequenceNumber InitialRatchetTarget(SequenceNumber ratchetTarget, long round, int participants) =>
        ratchetTarget - checked(round * (participants + 1));

    /// <summary>The sequence of snapshot <paramref name="index"/> (0-based) of the round whose ratchet target is r_j: r_j + index + 1.</summary>
    public static SequenceNumber SnapshotSequence(SequenceNumber ratchetTarget, int index) => ratchetTarget + (index + 1);

    /// <summary>r_j + n: R's sequence once every snapshot of the round has executed.</summary>
    public static SequenceNumber FinalSequence(SequenceNumber ratchetTarget, int participants) => ratchetTarget + participants;

    /// <summary>
    /// R at r_k + n of a round k later than the one whose final sequence is given: every snapshot of
    /// that later round executed, which took all n signatures, so the channel is settled.
    /// </summary>
    public static bool IsLaterRoundFinal(SequenceNumber escrowSequence, SequenceNumber finalSequence, int participants) =>
        escrowSequence > finalSequence && (escrowSequence - finalSequence) % (participants + 1) == 0;
}
