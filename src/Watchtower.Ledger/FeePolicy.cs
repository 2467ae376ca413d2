using Watchtower.Stellar;

namespace Watchtower.Ledger;

/// <summary>
/// Fee settings of whoever fee-bumps pre-signed transactions: the tower (configuration section
/// "Tower:Fees") and a wallet's channel runtime.
/// </summary>
public sealed class FeeOptions
{
    /// <summary>Highest fee per operation (stroops) paid in a fee bump: the cap.</summary>
    public long MaxFeePerOperation { get; set; } = 100_000;

    /// <summary>Ledger capacity usage from which the network is considered in surge pricing (then a tenth above the p90 fee is offered).</summary>
    public double SurgeCapacityUsage { get; set; } = 0.9;
}

/// <summary>A fee bump to apply: the fee per operation offered and the total (inner operations + 1).</summary>
public sealed record FeeBumpPlan(long FeePerOperation, long TotalFee);

/// <summary>
/// Pure fee decisions shared by the tower and the wallet runtime: whether a pre-signed transaction
/// needs a fee bump and at what price. Pre-signed channel transactions carry a fixed fee; a fee
/// bump (CAP-15) raises it without touching their signatures.
/// </summary>
public static class FeePolicy
{
    /// <summary>
    /// The fee per operation likely to get a transaction into the next ledgers. In a surge the
    /// charged fees all sit at the clearing price, so p90 is that price, and a bid equal to it only
    /// ties with the lowest bid included (ties are broken arbitrarily, and a bid that misses costs a
    /// 10× replace-by-fee): bid a tenth above it.
    /// </summary>
    public static long RequiredPerOperation(FeeStatsInfo stats, FeeOptions options)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(options);
        var baseFee = Math.Max(stats.LastLedgerBaseFee, 100);
        if (stats.LedgerCapacityUsage < options.SurgeCapacityUsage)
        {
            return baseFee;
        }

        var clearing = Math.Max(baseFee, stats.P90);
        return clearing + Math.Max(1, clearing / 10);
    }

    /// <summary>
    /// A plan when the inner transaction bids less than <paramref name="requiredPerOperation"/> and the
    /// ceiling allows a better bid; null when no bump is needed or none would help. Stellar requires
    /// the bump's rate (fee / (ops + 1)) to be at least the inner rate and the base fee.
    /// </summary>
    public static FeeBumpPlan? Plan(Transaction inner, long requiredPerOperation, long maxPerOperation)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var ops = Math.Max(inner.Operations.Length, 1);
        var innerRate = inner.Fee / ops;
        if (innerRate >= requiredPerOperation)
        {
            return null;
        }
        var rate = Math.Min(requiredPerOperation, maxPerOperation);
        if (rate <= innerRate)
        {
            return null;
        }
        return new FeeBumpPlan(rate, rate * (ops + 1));
    }

    /// <summary>The next bid after a txINSUFFICIENT_FEE answer: double, capped; null at the ceiling already.</summary>
    public static long? Escalate(long currentPerOperation, long maxPerOperation) =>
        currentPerOperation >= maxPerOperation ? null : Math.Min(maxPerOperation, Math.Max(currentPerOperation * 2, 200));

    /// <summary>
    /// What to submit for a bid: the envelope itself when it bids enough (or is not a plain
    /// transaction), else a fee bump of it paid and signed by <paramref name="payer"/>, never
    /// above <paramref name="maxPerOperation"/>.
    /// </summary>
    public static (TransactionEnvelope Envelope, FeeBumpPlan? Plan) Bump(TransactionEnvelope envelope, long bidPerOperation, long maxPerOperation, KeyPair payer, Network network)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(payer);
        if (envelope is not TransactionV1Envelope v1 || Plan(v1.Transaction, bidPerOperation, maxPerOperation) is not { } plan)
        {
            return (envelope, null);
        }

        var bump = FeeBumpTransaction.Wrap(envelope, payer.AccountId, plan.TotalFee);
        return (new FeeBumpEnvelope(bump, []).Sign(network, payer), plan);
    }

    /// <summary>The ledger refused the transaction for its fee (txINSUFFICIENT_FEE, also a replace-by-fee bid too low).</summary>
    public static bool IsInsufficientFee(SubmitOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Result?.Code == TransactionResultCode.TxInsufficientFee
            || (outcome.ResultCodesText ?? "").Contains("tx_insufficient_fee", StringComparison.Ordinal);
    }
}
