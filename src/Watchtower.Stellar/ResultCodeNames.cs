namespace Watchtower.Stellar;

/// <summary>Result codes in Horizon's spelling (<c>extras.result_codes</c>: "tx_bad_seq", "op_underfunded", …).</summary>
public static class ResultCodeNames
{
    public static string ToHorizonName(this TransactionResultCode code) => (int)code switch
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

    public static string ToHorizonName(this OperationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Code switch
        {
            OperationResultCode.OpInner => result.InnerCode == 0 ? "op_success" : Inner(result.Type, result.InnerCode),
            OperationResultCode.OpBadAuth => "op_bad_auth",
            OperationResultCode.OpNoAccount => "op_no_source_account",
            OperationResultCode.OpNotSupported => "op_not_supported",
            OperationResultCode.OpTooManySubentries => "op_too_many_subentries",
            OperationResultCode.OpExceededWorkLimit => "op_exceeded_work_limit",
            OperationResultCode.OpTooManySponsoring => "op_too_many_sponsoring",
            _ => "op_unknown",
        };
    }

    private static string Inner(OperationType type, int code) => (type, code) switch
    {
        (_, -1) when type is not (OperationType.SetOptions or OperationType.ManageData or OperationType.BumpSequence) => "op_malformed",
        (OperationType.CreateAccount, -2) => "op_underfunded",
        (OperationType.CreateAccount, -3) => "op_low_reserve",
        (OperationType.CreateAccount, -4) => "op_already_exists",
        (OperationType.Payment, -2) => "op_underfunded",
        (OperationType.Payment, -3) => "op_src_no_trust",
        (OperationType.Payment, -4) => "op_src_not_authorized",
        (OperationType.Payment, -5) => "op_no_destination",
        (OperationType.Payment, -6) => "op_no_trust",
        (OperationType.Payment, -7) => "op_not_authorized",
        (OperationType.Payment, -8) => "op_line_full",
        (OperationType.Payment, -9) => "op_no_issuer",
        (OperationType.SetOptions, -1) => "op_low_reserve",
        (OperationType.SetOptions, -2) => "op_too_many_signers",
        (OperationType.SetOptions, -3) => "op_bad_flags",
        (OperationType.SetOptions, -4) => "op_invalid_inflation",
        (OperationType.SetOptions, -5) => "op_cant_change",
        (OperationType.SetOptions, -6) => "op_unknown_flag",
        (OperationType.SetOptions, -7) => "op_threshold_out_of_range",
        (OperationType.SetOptions, -8) => "op_bad_signer",
        (OperationType.SetOptions, -9) => "op_invalid_home_domain",
        (OperationType.SetOptions, -10) => "op_auth_revocable_required",
        (OperationType.ChangeTrust, -2) => "op_no_issuer",
        (OperationType.ChangeTrust, -3) => "op_invalid_limit",
        (OperationType.ChangeTrust, -4) => "op_low_reserve",
        (OperationType.ChangeTrust, -5) => "op_self_not_allowed",
        (OperationType.ChangeTrust, -6) => "op_trust_line_missing",
        (OperationType.ChangeTrust, -7) => "op_cannot_delete",
        (OperationType.ChangeTrust, -8) => "op_not_auth_maintain_liabilities",
        (OperationType.AccountMerge, -2) => "op_no_account",
        (OperationType.AccountMerge, -3) => "op_immutable_set",
        (OperationType.AccountMerge, -4) => "op_has_sub_entries",
        (OperationType.AccountMerge, -5) => "op_seq_num_too_far",
        (OperationType.AccountMerge, -6) => "op_dest_full",
        (OperationType.AccountMerge, -7) => "op_is_sponsor",
        (OperationType.ManageData, -1) => "op_not_supported_yet",
        (OperationType.ManageData, -2) => "op_data_name_not_found",
        (OperationType.ManageData, -3) => "op_low_reserve",
        (OperationType.ManageData, -4) => "op_data_invalid_name",
        (OperationType.BumpSequence, -1) => "op_bad_seq",
        _ => "op_unknown",
    };
}
