using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Protocol;

/// <summary>
/// The protocol's checks of one signed round (pure: no I/O, no clock). A round that passes holds a
/// ratchet and snapshots that the ledger would accept, as far as can be told without reading
/// accounts: the ledger's live signer set and sequence numbers are checked by whoever submits.
/// </summary>
public static class RoundValidator
{
    /// <summary>n (at most <paramref name="maxParticipants"/>, the caller's bound), the watched accounts, D, r_j and the signer weights. Throws <see cref="RoundRuleException"/> on the first violation.</summary>
    public static void CheckParameters(SignedRound round, int maxParticipants)
    {
        ArgumentNullException.ThrowIfNull(round);
        Parameters(round, maxParticipants);
    }

    /// <summary>The ratchet, the snapshots and every signature, against the round's declarations. Throws <see cref="RoundRuleException"/> on the first violation.</summary>
    public static void CheckTransactions(SignedRound round)
    {
        ArgumentNullException.ThrowIfNull(round);
        var ratchetHash = CheckRatchet(round);
        var snapshotHashes = CheckSnapshots(round);
        CheckSignatures(round, ratchetHash, snapshotHashes);
    }

    private static void Parameters(SignedRound b, int maxParticipants)
    {
        if (b.Participants < 2 || b.Participants > maxParticipants)
        {
            throw Invalid(ContentProblem.Parameters, $"n = {b.Participants} is outside 2..{maxParticipants}");
        }
        if (b.CounterpartyVersionAccounts.Length != b.Participants - 1)
        {
            throw Invalid(ContentProblem.Parameters, $"{b.CounterpartyVersionAccounts.Length} counterparty version accounts for n = {b.Participants}");
        }
        var accounts = b.WatchedAccounts;
        if (accounts.Distinct().Count() != accounts.Length)
        {
            throw Invalid(ContentProblem.Parameters, "R and the version accounts must be distinct");
        }
        if (b.ClaimDelay <= TimeSpan.Zero)
        {
            throw Invalid(ContentProblem.Parameters, "D must be positive");
        }
        if (b.RatchetTarget.Value <= 0 || b.RatchetTarget.Value > long.MaxValue - maxParticipants)
        {
            throw Invalid(ContentProblem.Parameters, $"r_j = {b.RatchetTarget} out of range");
        }
        // r_j = r_0 + j(n + 1) with r_0 > 0 (r_0 must exceed R's sequence after funding).
        if ((decimal)b.RatchetTarget.Value - ((decimal)b.Round * (b.Participants + 1)) <= 0)
        {
            throw Invalid(ContentProblem.Parameters, $"r_j = {b.RatchetTarget} is too small for round {b.Round}: r_0 = r_j − j(n + 1) must be positive");
        }
        if (b.EscrowSigners.Signers.Any(s => s.Weight is 0 or > 255))
        {
            throw Invalid(ContentProblem.Parameters, "escrow signer weights must be 1..255");
        }
    }

    private static TransactionHash CheckRatchet(SignedRound b)
    {
        var tx = TransactionOf(b.Ratchet);
        if (tx.Source.Account != b.VersionAccount)
        {
            throw Invalid(ContentProblem.RatchetSourceMismatch, $"ratchet source {tx.Source.Account} is not the version account {b.VersionAccount}");
        }
        if (tx.Operations.Length != 1 || tx.Operations[0] is not BumpSequenceOperation bump || bump.SourceAccount?.Account != b.Escrow)
        {
            throw Invalid(ContentProblem.RatchetOperation, "the ratchet must be exactly one BUMP_SEQUENCE whose operation source is R");
        }
        if (bump.BumpTo != b.RatchetTarget)
        {
            throw Invalid(ContentProblem.BumpTargetMismatch, $"the ratchet bumps R to {bump.BumpTo}, the bundle says r_j = {b.RatchetTarget}");
        }
        var bounds = tx.Preconditions.TimeBounds;
        if (bounds is not { } tb || tb != b.RatchetTimeBounds)
        {
            throw Invalid(ContentProblem.TimeBounds, "the ratchet's time bounds differ from the declared [M, M + TIMEOUT_CLAIM]");
        }
        if (tb.MaxTime == 0 || tb.MaxTime <= tb.MinTime)
        {
            throw Invalid(ContentProblem.TimeBounds, "the ratchet needs a bounded window M < M + TIMEOUT_CLAIM");
        }
        return b.Ratchet.Hash(b.Network);
    }

    private static ImmutableArray<TransactionHash> CheckSnapshots(SignedRound b)
    {
        if (b.Snapshots.Length != b.Participants)
        {
            throw Invalid(ContentProblem.SnapshotSet, $"{b.Snapshots.Length} snapshots for n = {b.Participants}");
        }
        if (b.SnapshotMinTime < b.RatchetTimeBounds.MaxTime
            || b.SnapshotMinTime - b.RatchetTimeBounds.MaxTime < (ulong)b.ClaimDelay.TotalSeconds)
        {
            throw Invalid(ContentProblem.DelayTooShort,
                $"snapshots become valid at {b.SnapshotMinTime}, less than D = {b.ClaimDelay.TotalSeconds}s after the ratchet's maxTime {b.RatchetTimeBounds.MaxTime}");
        }
        var hashes = ImmutableArray.CreateBuilder<TransactionHash>(b.Snapshots.Length);
        for (var k = 0; k < b.Snapshots.Length; k++)
        {
            var tx = TransactionOf(b.Snapshots[k]);
            if (tx.Source.Account != b.Escrow)
            {
                throw Invalid(ContentProblem.SnapshotSet, $"snapshot {k + 1} is sourced at {tx.Source.Account}, not R");
            }
            if (tx.Sequence != b.RatchetTarget + (k + 1))
            {
                throw Invalid(ContentProblem.SnapshotSequence, $"snapshot {k + 1} has sequence {tx.Sequence}, expected r_j + {k + 1} = {b.RatchetTarget + (k + 1)}");
            }
            if (tx.Preconditions.TimeBounds is not { } tb || tb.MinTime != b.SnapshotMinTime || tb.MaxTime != 0)
            {
                throw Invalid(ContentProblem.TimeBounds, $"snapshot {k + 1} must have minTime = {b.SnapshotMinTime} and no maxTime");
            }
            if (tx.Operations.Any(op => op.SourceAccount is { } source && source.Account != b.Escrow))
            {
                throw Invalid(ContentProblem.ForeignOperationSource, $"snapshot {k + 1} has an operation sourced outside R");
            }
            hashes.Add(b.Snapshots[k].Hash(b.Network));
        }
        return hashes.MoveToImmutable();
    }

    private static void CheckSignatures(SignedRound b, TransactionHash ratchetHash, ImmutableArray<TransactionHash> snapshotHashes)
    {
        var escrowSigners = SignatureChecker.AccountSigners(b.Escrow, b.EscrowSigners.Thresholds, b.EscrowSigners.Signers);
        // The ratchet transaction is sourced at the version account, whose master key must sign
        // (version accounts are single-key by construction); its one operation is sourced at R and
        // needs R's low threshold. Like stellar-core, every signature must be used by some check.
        var ratchet = new SignatureChecker(ratchetHash, b.Ratchet.Signatures);
        if (!ratchet.CheckSignature([new Signer(new Ed25519SignerKey(b.VersionAccount), 1)], 1))
        {
            throw Invalid(ContentProblem.MissingSignature, "the ratchet is not signed by the version account's master key");
        }
        if (!ratchet.CheckSignature(escrowSigners, Math.Max((int)b.EscrowSigners.Thresholds.Low, 1)))
        {
            throw Invalid(ContentProblem.MissingSignature, $"the ratchet lacks R signer weight {b.EscrowSigners.Thresholds.Low} (R's low threshold)");
        }
        if (!ratchet.CheckAllSignaturesUsed())
        {
            throw Invalid(ContentProblem.UnusedSignature, "the ratchet carries a signature of no required signer (txBAD_AUTH_EXTRA)");
        }
        for (var k = 0; k < b.Snapshots.Length; k++)
        {
            var tx = TransactionOf(b.Snapshots[k]);
            var needed = Math.Max(RequiredThreshold(tx, b.EscrowSigners.Thresholds), 1);
            var snapshot = new SignatureChecker(snapshotHashes[k], b.Snapshots[k].Signatures);
            if (!snapshot.CheckSignature(escrowSigners, needed))
            {
                throw Invalid(ContentProblem.MissingSignature, $"snapshot {k + 1} lacks R signer weight {needed}");
            }
            if (!snapshot.CheckAllSignaturesUsed())
            {
                throw Invalid(ContentProblem.UnusedSignature, $"snapshot {k + 1} carries a signature of no R signer (txBAD_AUTH_EXTRA)");
            }
        }
    }

    // stellar-core's threshold levels: the transaction (fee, sequence) needs low; each operation its
    // own level; all operations here are sourced at R so the highest level decides.
    private static int RequiredThreshold(Transaction tx, Thresholds thresholds)
    {
        var level = ThresholdLevel.Low;
        foreach (var op in tx.Operations)
        {
            var opLevel = op switch
            {
                BumpSequenceOperation => ThresholdLevel.Low,
                AccountMergeOperation => ThresholdLevel.High,
                SetOptionsOperation s when s.MasterWeight is not null || s.LowThreshold is not null
                    || s.MedThreshold is not null || s.HighThreshold is not null || s.Signer is not null => ThresholdLevel.High,
                _ => ThresholdLevel.Medium,
            };
            level = (ThresholdLevel)Math.Max((int)level, (int)opLevel);
        }
        return level switch
        {
            ThresholdLevel.Low => thresholds.Low,
            ThresholdLevel.Medium => thresholds.Medium,
            _ => thresholds.High,
        };
    }

    private enum ThresholdLevel
    {
        Low,
        Medium,
        High,
    }

    private static Transaction TransactionOf(TransactionEnvelope envelope) => envelope switch
    {
        TransactionV1Envelope v1 => v1.Transaction,
        TransactionV0Envelope v0 => v0.Transaction,
        _ => throw Invalid(ContentProblem.TransactionDecode, "fee-bump envelopes are not accepted in a bundle"),
    };

    private static RoundRuleException Invalid(ContentProblem problem, string detail) => new(problem, detail);
}
