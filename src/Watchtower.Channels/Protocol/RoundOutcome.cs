using System.Collections.Immutable;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Channels.Protocol;

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
}
