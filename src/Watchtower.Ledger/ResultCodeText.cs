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

    public static string Of(TransactionResultCode code) => (int)code switch
    {
        1 => "tx_fee_bump_inner_success",
        0 => "tx_success",
        -1 => "tx_failed",
        -2 => "tx_too_early",
        -3 => "tx_too_late",
        -4 => "tx_missing_operation",
        -5 => "tx_bad_seq",
        -6 => "tx_bad_auth",
        -7 => "tx_insufficient_balance",
        -8 => "tx_no_source_account",
        -9 => "tx_insufficient_fee",
        -10 => "tx_bad_auth_extra",
        -11 => "tx_internal_error",
        -12 => "tx_not_supported",
        -13 => "tx_fee_bump_inner_failed",
        -14 => "tx_bad_sponsorship",
        -15 => "tx_bad_minseq_age_or_gap",
        -16 => "tx_malformed",
        -17 => "tx_soroban_invalid",
        var n => $"tx_code_{n}",
    };
}
