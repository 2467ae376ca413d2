using System.Collections.Immutable;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>
/// What a wallet hands the tower after a completed round j: enough to apply the spec's monitor and
/// timeout rules on its behalf. Plaintext only ever exists inside the wallet and the tower's
/// process; on the wire and in Redis it is sealed (<see cref="BundleSealer"/>).
/// </summary>
/// <param name="ChannelId">Must equal <see cref="ChannelId.Derive"/>(network, R, version account).</param>
/// <param name="Network">The network the transactions are signed for.</param>
/// <param name="Escrow">R, the channel's escrow account.</param>
/// <param name="VersionAccount">A_i, the uploading wallet's version account (source of its ratchets).</param>
/// <param name="CounterpartyVersionAccounts">The other participants' version accounts (n − 1 of them).</param>
/// <param name="Round">j.</param>
/// <param name="RatchetTarget">r_j: the sequence number the ratchet bumps R to.</param>
/// <param name="Participants">n: the number of snapshot transactions in T_j.</param>
/// <param name="ClaimDelay">D: the minimum reaction time the protocol guarantees (TIMEOUT_CLAIM_DELAY ≥ D).</param>
/// <param name="EscrowSigners">R's declared signer set, used to check the signatures.</param>
/// <param name="Ratchet">v_{j,i}, fully signed.</param>
/// <param name="Snapshots">T_j = t_{j,1..n}, fully signed, in sequence order.</param>
/// <param name="RatchetTimeBounds">[M_j, M_j + TIMEOUT_CLAIM] as declared; must match the ratchet.</param>
/// <param name="SnapshotMinTime">M_j + TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY as declared; must match every snapshot.</param>
public sealed record Bundle(
    ChannelId ChannelId,
    Network Network,
    AccountId Escrow,
    AccountId VersionAccount,
    ImmutableArray<AccountId> CounterpartyVersionAccounts,
    ulong Round,
    SequenceNumber RatchetTarget,
    int Participants,
    TimeSpan ClaimDelay,
    EscrowSigners EscrowSigners,
    TransactionEnvelope Ratchet,
    ImmutableArray<TransactionEnvelope> Snapshots,
    TimeBounds RatchetTimeBounds,
    ulong SnapshotMinTime)
{
    /// <summary>Every account whose activity can move R's sequence: R and all version accounts.</summary>
    public ImmutableArray<AccountId> WatchedAccounts =>
        [Escrow, VersionAccount, .. CounterpartyVersionAccounts];

    /// <summary>The last sequence number of the round's snapshots: r_j + n.</summary>
    public SequenceNumber FinalSequence => RoundSequences.FinalSequence(RatchetTarget, Participants);

    public bool Equals(Bundle? other) =>
        other is not null
        && ChannelId == other.ChannelId && Network == other.Network && Escrow == other.Escrow
        && VersionAccount == other.VersionAccount
        && CounterpartyVersionAccounts.SequenceEqual(other.CounterpartyVersionAccounts)
        && Round == other.Round && RatchetTarget == other.RatchetTarget && Participants == other.Participants
        && ClaimDelay == other.ClaimDelay && EscrowSigners == other.EscrowSigners
        && Ratchet == other.Ratchet && Snapshots.SequenceEqual(other.Snapshots)
        && RatchetTimeBounds == other.RatchetTimeBounds && SnapshotMinTime == other.SnapshotMinTime;

    public override int GetHashCode() => HashCode.Combine(ChannelId, Round, RatchetTarget);

    /// <summary>The round as the protocol's rules see it (<see cref="RoundValidator"/>).</summary>
    public SignedRound ToSignedRound() =>
        new(Network, Escrow, VersionAccount, CounterpartyVersionAccounts, Round, RatchetTarget, Participants, ClaimDelay,
            EscrowSigners, Ratchet, Snapshots, RatchetTimeBounds, SnapshotMinTime);
}
