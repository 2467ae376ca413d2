using Xunit;

namespace Watchtower.Stellar.Tests;

public class ResultCodeNamesTests
{
    [Theory]
    [InlineData(TransactionResultCode.TxBadSeq, "tx_bad_seq")]
    [InlineData(TransactionResultCode.TxNoAccount, "tx_no_source_account")]
    [InlineData(TransactionResultCode.TxBadMinSeqAgeOrGap, "tx_bad_minseq_age_or_gap")]
    [InlineData(TransactionResultCode.TxFeeBumpInnerFailed, "tx_fee_bump_inner_failed")]
    [InlineData(TransactionResultCode.TxFrozenKeyAccessed, "tx_code_-18")]
    public void TransactionCodes_UseHorizonsSpelling(TransactionResultCode code, string name) => Assert.Equal(name, code.ToHorizonName());

    [Fact]
    public void OperationResults_UseHorizonsSpelling_PerOperationType()
    {
        Assert.Equal("op_underfunded", OperationResult.Inner(PaymentResultCode.Underfunded).ToHorizonName());
        Assert.Equal("op_low_reserve", OperationResult.Inner(SetOptionsResultCode.LowReserve).ToHorizonName());
        Assert.Equal("op_not_supported_yet", OperationResult.Inner(ManageDataResultCode.NotSupportedYet).ToHorizonName());
        Assert.Equal("op_malformed", OperationResult.Inner(ChangeTrustResultCode.Malformed).ToHorizonName());
        Assert.Equal("op_seq_num_too_far", OperationResult.Inner(AccountMergeResultCode.SeqnumTooFar).ToHorizonName());
        Assert.Equal("op_success", OperationResult.AccountMergeSuccess(new Stroops(5)).ToHorizonName());
        Assert.Equal("op_bad_auth", OperationResult.Outer(OperationResultCode.OpBadAuth).ToHorizonName());
        Assert.Equal("op_no_source_account", OperationResult.Outer(OperationResultCode.OpNoAccount).ToHorizonName());
    }
}
