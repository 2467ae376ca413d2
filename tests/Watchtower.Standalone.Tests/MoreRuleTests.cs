using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>Remaining operation codes and apply-time signature rules.</summary>
public sealed class MoreRuleTests
{
    private static SetOptionsOperation Flags(uint? set = null, uint? clear = null) => new(null, clear, set, null, null, null, null, null, null);

    private static string Code(TransactionRecord r, int op = 0) => r.Result.Results[op].ToHorizonName();

    [Fact]
    public void SetOptions_BAD_FLAGS_UNKNOWN_FLAG_INVALID_HOME_DOMAIN_AtSubmission()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        string Rejected(Operation op) => f.Rejected(f.Sign(f.Builder(a).AddOperation(op), a)).Results[0].ToHorizonName();
        Assert.Equal("op_bad_flags", Rejected(Flags(set: 1, clear: 1)));
        Assert.Equal("op_unknown_flag", Rejected(Flags(set: 0x10)));
        Assert.Equal("op_invalid_home_domain", Rejected(new SetOptionsOperation(null, null, null, null, null, null, null, "bad\ndomain", null)));
    }

    [Fact]
    public void SetOptions_CANT_CHANGE_WhenImmutable_AUTH_REVOCABLE_REQUIRED_ForClawback_INVALID_INFLATION()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        Assert.Equal("op_auth_revocable_required", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Flags(set: AccountState.AuthClawbackEnabledFlag)), a))));
        Assert.Equal("op_invalid_inflation", Code(f.SubmitAndClose(f.Sign(f.Builder(a)
            .AddOperation(new SetOptionsOperation(KeyPair.Random().AccountId, null, null, null, null, null, null, null, null)), a))));
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Flags(set: AccountState.AuthImmutableFlag)), a)).Successful);
        Assert.Equal("op_cant_change", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Flags(clear: AccountState.AuthImmutableFlag)), a))));
    }

    [Fact]
    public void ChangeTrust_And_ManageData_LOW_RESERVE()
    {
        var f = new EngineFixture();
        var (issuer, poor) = (f.Fund(1)[0], f.Fund(1, 1.5m)[0]);
        Assert.Equal("op_low_reserve", Code(f.SubmitAndClose(f.Sign(f.Builder(poor).AddOperation(new ChangeTrustOperation(Asset.Credit("USD", issuer.AccountId), 10)), poor))));
        Assert.Equal("op_low_reserve", Code(f.SubmitAndClose(f.Sign(f.Builder(poor).AddOperation(new ManageDataOperation("k", [1])), poor))));
    }

    [Fact]
    public void OperationSourceCreatedLater_PassesSubmission_ButIsOpNO_ACCOUNT_AtApply_WhenStillMissing()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var ghost = KeyPair.Random();
        // Signed by the missing account's own key, the operation passes submission (checkSignatureNoAccount)…
        var env = f.Sign(f.Builder(a).AddOperation(new ManageDataOperation("k", [1]) { SourceAccount = ghost.AccountId }), a, ghost);
        var r = f.SubmitAndClose(env);
        // …and fails when applied because the account still does not exist: fee and sequence are consumed.
        Assert.Equal(TransactionResultCode.TxFailed, r.Result.Code);
        Assert.Equal("op_no_source_account", Code(r));
        Assert.Equal(100, r.Result.FeeCharged);
    }

    [Fact]
    public void CreateThenUse_InOneTransaction_SeesTheNewAccount()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var fresh = KeyPair.Random();
        var env = f.Sign(f.Builder(a)
            .AddOperation(new CreateAccountOperation(fresh.AccountId, Stroops.FromLumens(10m)))
            .AddOperation(new ManageDataOperation("hello", [1]) { SourceAccount = fresh.AccountId }), a, fresh);
        Assert.True(f.SubmitAndClose(env).Successful);
        Assert.Equal(1u, f.Account(fresh).NumSubEntries);
    }

    [Fact]
    public void SignedPayloadSigner_AuthorizesWithPayloadSignature()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var signer = KeyPair.Random();
        byte[] payload = [9, 8, 7, 6, 5];
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new SetOptionsOperation(null, null, null, 0, null, null, null, null,
            new Signer(new SignedPayloadSignerKey(signer.AccountId, payload), 1))), a)).Successful);
        var env = f.Builder(a).AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).BuildEnvelope()
            .AddSignature(signer.SignPayloadDecorated(payload));
        Assert.True(f.SubmitAndClose(env).Successful);
    }

    [Fact]
    public void Multisig_WeightsAddUp_ToTheThreshold_txBAD_AUTH_Below()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var (k1, k2) = (KeyPair.Random(), KeyPair.Random());
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a)
            .AddOperation(new SetOptionsOperation(null, null, null, null, null, null, null, null, new Signer(new Ed25519SignerKey(k1.AccountId), 1)))
            .AddOperation(new SetOptionsOperation(null, null, null, null, null, null, null, null, new Signer(new Ed25519SignerKey(k2.AccountId), 1)))
            .AddOperation(new SetOptionsOperation(null, null, null, 0, 2, 2, 2, null, null)), a)).Successful);
        var bump = f.Builder(a).AddOperation(new BumpSequenceOperation(new SequenceNumber(0)));
        Assert.Equal(TransactionResultCode.TxBadAuth, f.Rejected(f.Sign(bump, k1)).Code);
        Assert.Equal(TransactionResultCode.TxBadAuth, f.Rejected(f.Sign(bump, a, k1)).Code); // master weight 0: its signature counts for nothing
        Assert.True(f.SubmitAndClose(f.Sign(bump, k1, k2)).Successful);
    }

    [Fact]
    public void ThresholdLevels_BumpIsLow_PaymentMedium_MergeHigh()
    {
        var f = new EngineFixture();
        var (a, dest) = (f.Fund(1)[0], f.Fund(1)[0]);
        // master weight 1 against thresholds low 1 / medium 2 / high 3.
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new SetOptionsOperation(null, null, null, null, 1, 2, 3, null, null)), a)).Successful);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new BumpSequenceOperation(new SequenceNumber(0))), a)).Successful);
        string OpCode(Operation op) => f.Rejected(f.Sign(f.Builder(a).AddOperation(op), a)).Results[0].ToHorizonName();
        Assert.Equal("op_bad_auth", OpCode(new PaymentOperation(dest.AccountId, Asset.Native, new Stroops(1))));
        Assert.Equal("op_bad_auth", OpCode(new AccountMergeOperation(dest.AccountId)));
        Assert.Equal("op_bad_auth", OpCode(new SetOptionsOperation(null, null, null, null, 0, null, null, null, null)));
    }

    [Fact]
    public void ResultXdr_OfFailedTransaction_EncodesCodesAsInXdr()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var r = f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new PaymentOperation(KeyPair.Random().AccountId, Asset.Native, new Stroops(1))), a));
        // feeCharged 100, txFAILED (-1), one result: opINNER, PAYMENT, PAYMENT_NO_DESTINATION (-5), ext 0.
        Assert.Equal("AAAAAAAAAGT/////AAAAAQAAAAAAAAAB////+wAAAAA=", Convert.ToBase64String(r.ResultXdr));
    }
}
