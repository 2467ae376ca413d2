using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Protocol;

/// <summary>
/// R's signer configuration as the wallet declares it (R's master weight is <c>Thresholds.Master</c>).
/// The tower checks the pre-signed transactions against it; the ledger remains the final judge.
/// </summary>
public sealed record EscrowSigners(Thresholds Thresholds, ImmutableArray<Signer> Signers)
{
    public bool Equals(EscrowSigners? other) =>
        other is not null && Thresholds == other.Thresholds && Signers.SequenceEqual(other.Signers);

    public override int GetHashCode() => HashCode.Combine(Thresholds, Signers.Length);
}

/// <summary>
/// One completed round j as a participant holds it: the fully signed ratchet v_{j,i} of one
/// participant and the round's snapshots T_j, with the declarations they must match.
/// </summary>
/// <param name="Network">The network the transactions are signed for.</param>
/// <param name="Escrow">R, the channel's escrow account.</param>
/// <param name="VersionAccount">A_i, the holder's version account (source of its ratchets).</param>
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
public sealed record SignedRound(
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
}

/// <summary>The first rule a round breaks: which (<see cref="Problem"/>) and how (<see cref="Detail"/>).</summary>
public sealed class RoundRuleException : Exception
{
    public RoundRuleException(ContentProblem problem, string detail)
        : base($"{problem}: {detail}")
    {
        Problem = problem;
        Detail = detail;
    }

    public RoundRuleException()
        : this(ContentProblem.None, "unspecified")
    {
    }

    public RoundRuleException(string message)
        : this(ContentProblem.None, message)
    {
    }

    public RoundRuleException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problem = ContentProblem.None;
        Detail = message;
    }

    public ContentProblem Problem { get; }
    public string Detail { get; }
}
