using System.Collections.Immutable;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Protocol;

/// <summary>
/// The side effects of a round: c_{j,i}, the operations of snapshot t_{j,i}, one list per
/// participant, all sourced at R (operation source left empty). Any side effect the ledger
/// supports for R is allowed (payments in any asset, account creation, signer changes, merge),
/// under the rules of <see cref="OutcomeRules"/>.
/// </summary>
public sealed record RoundOutcome(ImmutableArray<ImmutableArray<Operation>> Effects)
{
    /// <summary>Equal when every operation encodes to the same XDR: what the ledger and the signatures see.</summary>
    public bool Equals(RoundOutcome? other) =>
        other is not null && Effects.Length == other.Effects.Length &&
        Effects.Zip(other.Effects).All(p => p.First.Length == p.Second.Length &&
            p.First.Zip(p.Second).All(o => XdrCodec.Encode(o.First).AsSpan().SequenceEqual(XdrCodec.Encode(o.Second))));

    public override int GetHashCode() => Effects.Length;

    /// <summary>
    /// A plain payment outcome: participant i receives its balances. A participant owed nothing
    /// still gets a snapshot (sequence numbers are consecutive), holding a no-op bump to 0.
    /// </summary>
    public static RoundOutcome Payouts(ChannelParameters parameters, IReadOnlyList<IReadOnlyDictionary<Asset, long>> balances)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(balances);
        if (balances.Count != parameters.Count)
        {
            throw new ArgumentException($"expected {parameters.Count} balance sets, got {balances.Count}", nameof(balances));
        }

        var effects = ImmutableArray.CreateBuilder<ImmutableArray<Operation>>(parameters.Count);
        for (var i = 0; i < parameters.Count; i++)
        {
            var ops = balances[i]
                .Where(kv => kv.Value > 0)
                .OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal)
                .Select(kv => (Operation)new PaymentOperation(parameters.Participants[i].Wallet, kv.Key, new Stroops(kv.Value)))
                .ToImmutableArray();
            effects.Add(ops.IsEmpty ? [NoOp] : ops);
        }

        return new RoundOutcome(effects.MoveToImmutable());
    }

    /// <summary>The initial outcome: every deposit goes back to its owner.</summary>
    public static RoundOutcome Refunds(ChannelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Payouts(parameters, parameters.Participants
            .Select(p => (IReadOnlyDictionary<Asset, long>)p.Deposits.ToDictionary(d => d.Asset, d => d.Amount.Value))
            .ToList());
    }

    /// <summary>Bumping to 0 never changes a sequence: the placeholder for "nothing to pay".</summary>
    public static BumpSequenceOperation NoOp { get; } = new(new SequenceNumber(0));

    /// <summary>What participant i's wallet is paid, per asset, by the whole outcome.</summary>
    public ImmutableDictionary<Asset, long> PaidTo(AccountId wallet)
    {
        var paid = new Dictionary<Asset, long>();
        foreach (var op in Effects.SelectMany(e => e))
        {
            switch (op)
            {
                case PaymentOperation p when p.Destination.Account == wallet:
                    paid[p.Asset] = paid.GetValueOrDefault(p.Asset) + p.Amount.Value;
                    break;
                case CreateAccountOperation c when c.Destination == wallet:
                    paid[Asset.Native] = paid.GetValueOrDefault(Asset.Native) + c.StartingBalance.Value;
                    break;
            }
        }

        return paid.ToImmutableDictionary();
    }

    /// <summary>
    /// What this outcome is worth to participant <paramref name="participant"/> (see
    /// <see cref="OutcomeValue"/>). An outcome <see cref="OutcomeRules"/> refuses (only a round
    /// signed under older rules can be one) is worth its explicit payouts and nothing of R.
    /// </summary>
    public OutcomeValue ValueFor(ChannelParameters parameters, int participant)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var wallet = parameters.Participants[participant].Wallet;
        var end = OutcomeRules.End(parameters, this);
        var control = end is null ? EscrowControl.Lost : ControlOf(parameters, end, participant);
        var residual = end?.Residual ?? ImmutableDictionary<Asset, long>.Empty;
        var deposited = parameters.Participants[participant].Deposits.Select(d => d.Asset).ToHashSet();
        return new OutcomeValue(PaidTo(wallet), residual, control, AtRiskFor(wallet, deposited));
    }

    private static EscrowControl ControlOf(ChannelParameters parameters, EscrowEnd end, int me)
    {
        if (end.MergedInto is { } destination)
        {
            return destination == parameters.Participants[me].Wallet ? EscrowControl.Exclusive : EscrowControl.Lost;
        }

        // Weights by owner: a participant owns its wallet, version and ratchet keys; any other key
        // (another account, a pre-authorized transaction, a hash preimage) counts against us.
        var p = parameters.Participants[me];
        long mine = 0, others = 0;
        foreach (var (key, weight) in end.Signers.Append(KeyValuePair.Create<SignerKey, uint>(new Ed25519SignerKey(parameters.Escrow), end.MasterWeight)))
        {
            if (key is Ed25519SignerKey ed && (ed.Key == p.Wallet || ed.Key == p.VersionAccount || ed.Key == p.RatchetKey))
            {
                mine += weight;
            }
            else
            {
                others += weight;
            }
        }

        // Payments need the medium threshold and a merge the high one: whoever reaches the lower
        // of the two can move value. A zero threshold still needs one signature.
        var moveValue = Math.Max(1, Math.Min(end.MediumThreshold, end.HighThreshold));
        var everything = Math.Max(1, Math.Max(end.LowThreshold, Math.Max(end.MediumThreshold, end.HighThreshold)));
        return others >= moveValue ? EscrowControl.Lost
            : mine >= everything ? EscrowControl.Exclusive
            : mine + others >= everything ? EscrowControl.Veto
            : EscrowControl.Lost;
    }

    /// <summary>
    /// Operations another party can make fail, in snapshots that also pay <paramref name="wallet"/>,
    /// named by what can be made to fail (amounts aside): a payment to another account (its owner
    /// can merge it away or drop the trust line), any account creation (anyone can create the
    /// account first), a trust line change on R (anyone holding the asset can pay R more than the
    /// new limit), a merge into another account, and a payment to us in a credit asset we did not
    /// deposit (nothing shows our wallet trusts it; a deposit does).
    /// </summary>
    private ImmutableHashSet<string> AtRiskFor(AccountId wallet, HashSet<Asset> deposited)
    {
        var risky = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var ops in Effects)
        {
            var paysUs = ops.Any(op => op is PaymentOperation p && p.Destination.Account == wallet || op is CreateAccountOperation c && c.Destination == wallet);
            if (!paysUs)
            {
                continue;
            }

            foreach (var op in ops)
            {
                var fragile = op switch
                {
                    PaymentOperation p when p.Destination.Account != wallet => $"a payment of {p.Asset} to {p.Destination.Account}",
                    PaymentOperation p when p.Asset != Asset.Native && !deposited.Contains(p.Asset) => $"a payment to us of {p.Asset}, which we did not deposit and may not trust",
                    CreateAccountOperation c => $"the creation of {c.Destination}",
                    ChangeTrustOperation t => $"a change of R's trust line for {t.Line}",
                    AccountMergeOperation m when m.Destination.Account != wallet => $"the merge of R into {m.Destination.Account}",
                    _ => null,
                };
                if (fragile is not null)
                {
                    risky.Add(fragile);
                }
            }
        }

        return risky.ToImmutable();
    }
}

/// <summary>How much say a participant keeps over what R holds after the last snapshot, from least to most.</summary>
public enum EscrowControl
{
    /// <summary>Someone else can move it without us (or nobody ever can).</summary>
    Lost,

    /// <summary>Nobody can move it without our signature, and all of us together can.</summary>
    Veto,

    /// <summary>It is merged into our wallet, or our keys alone control R and nobody else's can move it.</summary>
    Exclusive,
}

/// <summary>
/// What an outcome is worth to one participant. <see cref="Explicit"/>: payments and account
/// creations to its wallet. <see cref="Residual"/>: per asset, the deposits no explicit payout
/// takes; it ends, with R's own native balance (its reserve and fee headroom), with whoever
/// controls R after the last snapshot (<see cref="Control"/>). <see cref="AtRisk"/>: operations
/// (XDR, base64) that someone else can make fail and that share a snapshot with an explicit payout
/// to us, taking that payout down with them, each named by what can be made to fail.
/// </summary>
public sealed record OutcomeValue(
    ImmutableDictionary<Asset, long> Explicit,
    ImmutableDictionary<Asset, long> Residual,
    EscrowControl Control,
    ImmutableHashSet<string> AtRisk)
{
    /// <summary>Ours alone: explicit payouts, plus the residual when R ends with us.</summary>
    public long Claim(Asset asset) =>
        Explicit.GetValueOrDefault(asset) + (Control == EscrowControl.Exclusive ? Residual.GetValueOrDefault(asset) : 0);

    /// <summary>What nobody can take without us: our claim, plus the residual while we keep a veto over R.</summary>
    public long Stake(Asset asset) =>
        Claim(asset) + (Control == EscrowControl.Veto ? Residual.GetValueOrDefault(asset) : 0);
}
