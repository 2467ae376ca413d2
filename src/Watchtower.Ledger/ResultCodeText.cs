using Watchtower.Stellar;

namespace Watchtower.Ledger;

/// <summary>Transaction result codes in Horizon's spelling, so logs and decisions read the same whichever API answered.</summary>
public static class ResultCodeText
{
    public static string Of(TransactionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = Of(result.Code);
        // A fee bump's own code hides the inner transaction's; show both like Horizon's inner_transaction codes do.
        return result.Inner is { } inner ? $"{text} (inner {Of(inner.Result.Code)})" : text;
    }

    public static string Of(TransactionResultCode code) => code.ToHorizonName();
}
