using Watchtower.Stellar;

namespace Watchtower.Channels.Protocol;

/// <summary>
/// Structural rules every round's side effects must satisfy before anyone signs them. They keep
/// the spec's invariants: every snapshot is sourced at R and cannot move R's sequence, nothing but
/// the final snapshot may change R itself (so an earlier snapshot cannot invalidate the later
/// ones' signatures), and the payouts never exceed what was deposited.
/// </summary>
public static class OutcomeRules
{
    public static ProtocolError? Check(ChannelParameters parameters, RoundOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Effects.Length != parameters.Count)
        {
            return new(ProtocolErrorCode.WrongEffectCount, $"expected {parameters.Count} snapshots, got {outcome.Effects.Length}");
        }

        var escrow = parameters.Escrow;
        var funds = parameters.Funds();
        var spent = new Dictionary<Asset, long>();
        var last = parameters.Count - 1;
        for (var i = 0; i < outcome.Effects.Length; i++)
        {
            var ops = outcome.Effects[i];
            if (ops.IsDefaultOrEmpty)
            {
                return new(ProtocolErrorCode.EmptySnapshot, $"snapshot {i} has no operations");
            }

            for (var k = 0; k < ops.Length; k++)
            {
                var op = ops[k];
                if (op.SourceAccount is { } source && source.Account != escrow)
                {
                    return new(ProtocolErrorCode.OperationSourceNotEscrow, $"snapshot {i} operation {k} is sourced at {source}, not at R");
                }

                var error = op switch
                {
                    PaymentOperation p => Amount(p.Amount, i, k) ?? NotEscrow(p.Destination.Account, escrow, i, k) ?? Spend(spent, p.Asset, p.Amount),
                    CreateAccountOperation c => Amount(c.StartingBalance, i, k) ?? NotEscrow(c.Destination, escrow, i, k) ?? Spend(spent, Asset.Native, c.StartingBalance),
                    BumpSequenceOperation b when b.BumpTo.Value == 0 => null,
                    BumpSequenceOperation => new ProtocolError(ProtocolErrorCode.ForbiddenOperation, $"snapshot {i} operation {k} bumps R's sequence"),
                    AccountMergeOperation when i != last || k != ops.Length - 1 =>
                        new ProtocolError(ProtocolErrorCode.EscrowChangeBeforeLastSnapshot, $"snapshot {i} operation {k} merges R before the last operation of the last snapshot"),
                    AccountMergeOperation m => NotEscrow(m.Destination.Account, escrow, i, k),
                    SetOptionsOperation or ChangeTrustOperation or ManageDataOperation when i != last =>
                        new ProtocolError(ProtocolErrorCode.EscrowChangeBeforeLastSnapshot, $"snapshot {i} operation {k} changes R before the last snapshot"),
                    SetOptionsOperation or ChangeTrustOperation or ManageDataOperation => null,
                    _ => new ProtocolError(ProtocolErrorCode.ForbiddenOperation, $"snapshot {i} operation {k}: {op.GetType().Name} is not allowed in a channel"),
                };
                if (error is not null)
                {
                    return error;
                }
            }
        }

        foreach (var (asset, amount) in spent)
        {
            var available = funds.GetValueOrDefault(asset);
            if (amount > available)
            {
                return new(ProtocolErrorCode.OutcomeExceedsFunds, $"the round pays out {amount} stroops of {asset} but the channel holds {available}");
            }
        }

        return null;
    }

    private static ProtocolError? Amount(Stroops amount, int i, int k) =>
        amount.Value > 0 ? null : new(ProtocolErrorCode.NonPositiveAmount, $"snapshot {i} operation {k} moves a non-positive amount");

    private static ProtocolError? NotEscrow(AccountId destination, AccountId escrow, int i, int k) =>
        destination != escrow ? null : new(ProtocolErrorCode.EscrowAsDestination, $"snapshot {i} operation {k} targets R itself");

    private static ProtocolError? Spend(Dictionary<Asset, long> spent, Asset asset, Stroops amount)
    {
        var sofar = spent.GetValueOrDefault(asset);
        if (amount.Value > long.MaxValue - sofar)
        {
            return new(ProtocolErrorCode.OutcomeExceedsFunds, $"the payouts of {asset} overflow");
        }

        spent[asset] = sofar + amount.Value;
        return null;
    }
}
