using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Protocol;

/// <summary>
/// Builds the channel's transactions exactly as the spec lays them out. Deterministic: every
/// participant builds byte-identical transactions from the same parameters, so peers exchange
/// only signatures and each side verifies them against its own copy.
/// </summary>
public static class ChannelTransactions
{
    /// <summary>
    /// The setup transaction (source: the initiator's wallet) creating R and every A_i. R starts
    /// with enough for its reserve (2 + N−1 signers + trust lines) plus the snapshots' fees;
    /// each A_i with the base reserve plus one ratchet fee's headroom.
    /// </summary>
    public static Transaction Setup(
        AccountId initiatorWallet,
        SequenceNumber initiatorSequence,
        AccountId escrow,
        IReadOnlyList<AccountId> versionAccounts,
        Stroops escrowStartingBalance,
        Stroops versionStartingBalance,
        uint feePerOperation)
    {
        ArgumentNullException.ThrowIfNull(versionAccounts);
        var builder = new TransactionBuilder(initiatorWallet, initiatorSequence)
            .WithFee(feePerOperation)
            .AddOperation(new CreateAccountOperation(escrow, escrowStartingBalance));
        foreach (var a in versionAccounts)
        {
            builder = builder.AddOperation(new CreateAccountOperation(a, versionStartingBalance));
        }

        return builder.Build();
    }

    /// <summary>
    /// The joint funding transaction (source R at its next sequence): trust lines on R for credit
    /// deposits, every deposit paid in from its owner's wallet, the other participants' ratchet
    /// keys added as signers and all thresholds raised to N, making R N-of-N. Valid only until the
    /// opening deadline (maxTime), so signatures on it expire if opening never completes.
    /// </summary>
    public static Transaction Funding(ChannelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var builder = new TransactionBuilder(parameters.Escrow, parameters.EscrowSetupSequence)
            .WithFee(parameters.FeePerOperation)
            .WithTimeBounds(new TimeBounds(0, UnixSeconds(parameters.OpeningDeadline)));
        foreach (var asset in parameters.Funds().Keys.Where(a => a != Asset.Native).OrderBy(a => a.ToString(), StringComparer.Ordinal))
        {
            builder = builder.AddOperation(new ChangeTrustOperation(asset, long.MaxValue));
        }

        foreach (var p in parameters.Participants)
        {
            foreach (var d in p.Deposits)
            {
                builder = builder.AddOperation(new PaymentOperation(parameters.Escrow, d.Asset, d.Amount) { SourceAccount = p.Wallet });
            }
        }

        foreach (var p in parameters.Participants.Skip(1))
        {
            builder = builder.AddOperation(SetOptions(signer: new Signer(new Ed25519SignerKey(p.RatchetKey), 1)));
        }

        var n = (uint)parameters.Count;
        return builder.AddOperation(SetOptions(masterWeight: 1, low: n, medium: n, high: n)).Build();
    }

    /// <summary>
    /// t_{j,i}: source R at r_j + i + 1, minTime = M_j + TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY, no
    /// maxTime. A cooperative close round uses minTime = M_j: nothing can follow it.
    /// </summary>
    public static Transaction Snapshot(ChannelParameters parameters, long round, int participant, DateTimeOffset start, bool closing, ImmutableArray<Operation> effects)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var minTime = closing ? start : start + parameters.Timeouts.TimeoutClaim + parameters.Timeouts.TimeoutClaimDelay;
        var builder = new TransactionBuilder(parameters.Escrow, parameters.SnapshotSequence(round, participant) + -1)
            .WithFee(parameters.FeePerOperation)
            .WithTimeBounds(new TimeBounds(UnixSeconds(minTime), 0));
        foreach (var op in effects)
        {
            builder = builder.AddOperation(op);
        }

        return builder.Build();
    }

    /// <summary>
    /// v_{j,i}: source A_i at q_i + 1 (the same for every round), time bounds [M_j, M_j +
    /// TIMEOUT_CLAIM], one BUMP_SEQUENCE sourced at R to r_j. Needs A_i's key and N ratchet keys.
    /// </summary>
    public static Transaction Ratchet(ChannelParameters parameters, long round, int participant, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var p = parameters.Participants[participant];
        return new TransactionBuilder(p.VersionAccount, p.VersionSequence)
            .WithFee(parameters.FeePerOperation)
            .WithTimeBounds(new TimeBounds(UnixSeconds(start), UnixSeconds(start + parameters.Timeouts.TimeoutClaim)))
            .AddOperation(new BumpSequenceOperation(parameters.RatchetTarget(round)) { SourceAccount = parameters.Escrow })
            .Build();
    }

    public static DateTimeOffset SnapshotMinTime(ChannelParameters parameters, DateTimeOffset start, bool closing)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return closing ? start : start + parameters.Timeouts.TimeoutClaim + parameters.Timeouts.TimeoutClaimDelay;
    }

    public static DateTimeOffset RatchetMaxTime(ChannelParameters parameters, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return start + parameters.Timeouts.TimeoutClaim;
    }

    public static ulong UnixSeconds(DateTimeOffset t) => checked((ulong)t.ToUnixTimeSeconds());

    private static SetOptionsOperation SetOptions(uint? masterWeight = null, uint? low = null, uint? medium = null, uint? high = null, Signer? signer = null) =>
        new(null, null, null, masterWeight, low, medium, high, null, signer);
}
