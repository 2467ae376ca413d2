using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>Ledger-close application: fees, sequence consumption, rollback and operation semantics.</summary>
public sealed class ApplyTests
{
    private static PaymentOperation Pay(KeyPair to, decimal lumens) => new(to.AccountId, Asset.Native, Stroops.FromLumens(lumens));

    private static string Code(TransactionRecord r, int op = 0) => r.Result.Results[op].ToHorizonName();

    [Fact]
    public void txFAILED_ChargesFee_ConsumesSequence_AndRollsBackEarlierOperations()
    {
        var f = new EngineFixture();
        var (a, b) = (f.Fund(2)[0], f.Fund(1)[0]);
        var before = f.Account(a);
        var r = f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Pay(b, 5m)).AddOperation(Pay(KeyPair.Random(), 1m)), a));
        Assert.Equal(TransactionResultCode.TxFailed, r.Result.Code);
        Assert.Equal("op_success", Code(r, 0));
        Assert.Equal("op_no_destination", Code(r, 1));
        Assert.Equal(200, r.Result.FeeCharged);
        var after = f.Account(a);
        Assert.Equal(before.Balance - 200, after.Balance);
        Assert.Equal(before.SeqNum + 1, after.SeqNum);
        Assert.Equal(Stroops.FromLumens(1000m).Value, f.Account(b).Balance);
    }

    [Fact]
    public void Success_ChargesBaseFeeTimesOps_EvenIfBidHigher()
    {
        var f = new EngineFixture();
        var (a, b) = (f.Fund(1)[0], f.Fund(1)[0]);
        var r = f.SubmitAndClose(f.Sign(f.Builder(a).WithFee(1000).AddOperation(Pay(b, 1m)), a));
        Assert.True(r.Successful);
        Assert.Equal(100, r.Result.FeeCharged);
    }

    [Fact]
    public void txBAD_SEQ_AtApply_ChargesFee_ButDoesNotConsumeSequence()
    {
        var f = new EngineFixture();
        var keys = f.Fund(2);
        var (r, a) = (keys[0], keys[1]);
        // a's transaction bumps r's sequence (op source r); r's own transaction, queued with the old
        // sequence, then fails at apply with txBAD_SEQ in the same ledger.
        var rSeq = f.Seq(r);
        var stale = f.Sign(f.Builder(r).AddOperation(new BumpSequenceOperation(new SequenceNumber(0))), r);
        var bump = f.Sign(f.Builder(a).AddOperation(new BumpSequenceOperation(rSeq + 100) { SourceAccount = r.AccountId }), a, r);
        Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(bump).Status);
        Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(stale).Status);
        var before = f.Account(r).Balance;
        var ledger = f.Engine.CloseLedger().Ledger;
        var failed = Assert.Single(ledger.Transactions, t => t.Frame.Source == r.AccountId);
        Assert.Equal(TransactionResultCode.TxBadSeq, failed.Result.Code);
        Assert.Equal(100, failed.Result.FeeCharged);
        Assert.Equal(before - 100, f.Account(r).Balance);
        Assert.Equal(rSeq.Value + 100, f.Account(r).SeqNum);
    }

    [Fact]
    public void txBAD_AUTH_AtApply_ChargesFee_AndConsumesSequence()
    {
        var f = new EngineFixture();
        var (a, b) = (f.Fund(1)[0], f.Fund(1)[0]);
        var s = KeyPair.Random();
        var signer = new Signer(new Ed25519SignerKey(s.AccountId), 1);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new SetOptionsOperation(null, null, null, null, null, null, null, null, signer)), a)).Successful);

        // b's transaction (queued first) removes signer s from a; a's transaction, signed by s only, then fails at apply.
        var removal = f.Sign(f.Builder(b).AddOperation(new SetOptionsOperation(null, null, null, null, null, null, null, null, signer with { Weight = 0 })
            { SourceAccount = a.AccountId }), b, a);
        var bySigner = f.Sign(f.Builder(a).AddOperation(new BumpSequenceOperation(new SequenceNumber(0))), s);
        Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(removal).Status);
        Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(bySigner).Status);
        var before = f.Account(a);
        var ledger = f.Engine.CloseLedger().Ledger;
        var failed = Assert.Single(ledger.Transactions, t => t.Frame.Source == a.AccountId);
        Assert.Equal(TransactionResultCode.TxBadAuth, failed.Result.Code);
        Assert.Equal(before.Balance - 100, f.Account(a).Balance);
        Assert.Equal(before.SeqNum + 1, f.Account(a).SeqNum);
    }

    [Fact]
    public void BumpSequence_Raises_LowerIsSuccessfulNoOp_AndSetsSeqLedgerAndTime()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var target = f.Seq(a) + 1000;
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new BumpSequenceOperation(target)), a)).Successful);
        Assert.Equal(target.Value, f.Account(a).SeqNum);

        f.Advance(TimeSpan.FromSeconds(30));
        var r = f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new BumpSequenceOperation(new SequenceNumber(5))), a));
        Assert.True(r.Successful);
        var account = f.Account(a);
        Assert.Equal(target.Value + 1, account.SeqNum);
        Assert.Equal(f.Engine.Latest.Sequence, account.SeqLedger);
        Assert.Equal(f.Engine.Latest.Header.CloseTime, account.SeqTime);
    }

    [Fact]
    public void CreateAccount_ALREADY_EXIST_LOW_RESERVE_UNDERFUNDED()
    {
        var f = new EngineFixture();
        var (a, b) = (f.Fund(1, 10m)[0], f.Fund(1)[0]);
        Assert.Equal("op_already_exists", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new CreateAccountOperation(b.AccountId, Stroops.FromLumens(1m))), a))));
        Assert.Equal("op_low_reserve", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new CreateAccountOperation(KeyPair.Random().AccountId, Stroops.FromLumens(0.9m))), a))));
        Assert.Equal("op_underfunded", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new CreateAccountOperation(KeyPair.Random().AccountId, Stroops.FromLumens(9.5m))), a))));
    }

    [Fact]
    public void Payment_Native_UNDERFUNDED_AndNO_DESTINATION()
    {
        var f = new EngineFixture();
        var (a, b) = (f.Fund(1, 10m)[0], f.Fund(1)[0]);
        Assert.Equal("op_underfunded", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Pay(b, 9.5m)), a))));
        Assert.Equal("op_no_destination", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Pay(KeyPair.Random(), 1m)), a))));
        var ok = f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Pay(b, 8m)), a));
        Assert.True(ok.Successful);
        Assert.Equal(Stroops.FromLumens(1008m).Value, f.Account(b).Balance);
    }

    [Fact]
    public void Payment_Credit_NO_TRUST_LINE_FULL_NOT_AUTHORIZED_SRC_NO_TRUST()
    {
        var f = new EngineFixture();
        var (issuer, holder, other) = (f.Fund(1)[0], f.Fund(1)[0], f.Fund(1)[0]);
        var usd = Asset.Credit("USD", issuer.AccountId);
        PaymentOperation PayUsd(KeyPair to, long stroops) => new(to.AccountId, usd, new Stroops(stroops));

        Assert.Equal("op_no_trust", Code(f.SubmitAndClose(f.Sign(f.Builder(issuer).AddOperation(PayUsd(holder, 10)), issuer))));
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(holder).AddOperation(new ChangeTrustOperation(usd, 100)), holder)).Successful);
        Assert.Equal(1u, f.Account(holder).NumSubEntries);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(issuer).AddOperation(PayUsd(holder, 60)), issuer)).Successful);
        Assert.Equal("op_line_full", Code(f.SubmitAndClose(f.Sign(f.Builder(issuer).AddOperation(PayUsd(holder, 41)), issuer))));
        Assert.Equal("op_src_no_trust", Code(f.SubmitAndClose(f.Sign(f.Builder(other).AddOperation(PayUsd(holder, 1)), other))));
        Assert.Equal("op_underfunded", Code(f.SubmitAndClose(f.Sign(f.Builder(holder).AddOperation(PayUsd(issuer, 61)), holder))));
        // Paying back to the issuer burns: no trustline needed on the issuer's side.
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(holder).AddOperation(PayUsd(issuer, 60)), holder)).Successful);

        // An issuer requiring authorization leaves new trustlines unauthorized.
        var strict = f.Fund(1)[0];
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(strict).AddOperation(new SetOptionsOperation(null, null, AccountState.AuthRequiredFlag, null, null, null, null, null, null)), strict)).Successful);
        var eur = Asset.Credit("EUR", strict.AccountId);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(holder).AddOperation(new ChangeTrustOperation(eur, 100)), holder)).Successful);
        Assert.Equal("op_not_authorized", Code(f.SubmitAndClose(f.Sign(f.Builder(strict).AddOperation(new PaymentOperation(holder.AccountId, eur, new Stroops(1))), strict))));
    }

    [Fact]
    public void ChangeTrust_NO_ISSUER_INVALID_LIMIT_MALFORMED_AndDelete()
    {
        var f = new EngineFixture();
        var (issuer, holder) = (f.Fund(1)[0], f.Fund(1)[0]);
        var ghost = Asset.Credit("GHO", KeyPair.Random().AccountId);
        Assert.Equal("op_no_issuer", Code(f.SubmitAndClose(f.Sign(f.Builder(holder).AddOperation(new ChangeTrustOperation(ghost, 10)), holder))));
        var usd = Asset.Credit("USD", issuer.AccountId);
        Assert.Equal("op_invalid_limit", Code(f.SubmitAndClose(f.Sign(f.Builder(holder).AddOperation(new ChangeTrustOperation(usd, 0)), holder))));
        Assert.Equal("op_malformed", f.Rejected(f.Sign(f.Builder(issuer).AddOperation(new ChangeTrustOperation(usd, 10)), issuer)).Results[0].ToHorizonName());
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(holder).AddOperation(new ChangeTrustOperation(usd, 10)), holder)).Successful);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(holder).AddOperation(new ChangeTrustOperation(usd, 0)), holder)).Successful);
        Assert.Equal(0u, f.Account(holder).NumSubEntries);
        Assert.Null(f.Engine.TrustLinesOf(holder.AccountId).FirstOrDefault());
    }

    [Fact]
    public void SetOptions_Signers_Thresholds_TOO_MANY_SIGNERS_BAD_SIGNER_LOW_RESERVE()
    {
        var f = new EngineFixture();
        var a = f.Fund(1, 1000m)[0];
        var s1 = KeyPair.Random();
        SetOptionsOperation Signer(KeyPair k, uint w) => new(null, null, null, null, null, null, null, null, new Signer(new Ed25519SignerKey(k.AccountId), w));

        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Signer(s1, 1)), a)).Successful);
        Assert.Equal(1u, f.Account(a).NumSubEntries);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Signer(s1, 5)), a)).Successful);
        Assert.Equal(5u, f.Account(a).Signers[0].Weight);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Signer(s1, 0)), a)).Successful);
        Assert.Empty(f.Account(a).Signers);
        Assert.Equal(0u, f.Account(a).NumSubEntries);

        Assert.Equal("op_bad_signer", f.Rejected(f.Sign(f.Builder(a).AddOperation(Signer(a, 1)), a)).Results[0].ToHorizonName());
        Assert.Equal("op_threshold_out_of_range", f.Rejected(f.Sign(f.Builder(a)
            .AddOperation(new SetOptionsOperation(null, null, null, 256, null, null, null, null, null)), a)).Results[0].ToHorizonName());

        var b = f.Builder(a);
        for (var i = 0; i < 20; i++)
        {
            b = b.AddOperation(Signer(KeyPair.Random(), 1));
        }

        Assert.True(f.SubmitAndClose(f.Sign(b, a)).Successful);
        Assert.Equal("op_too_many_signers", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(Signer(KeyPair.Random(), 1)), a))));

        var poor = f.Fund(1, 1.5m)[0];
        Assert.Equal("op_low_reserve", Code(f.SubmitAndClose(f.Sign(f.Builder(poor).AddOperation(Signer(KeyPair.Random(), 1)), poor))));
    }

    [Fact]
    public void SetOptions_ChangingSigners_NeedsHighThreshold_opBAD_AUTH()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var low = KeyPair.Random();
        // master weight 1, a second signer of weight 1, thresholds low 1 / med 1 / high 2.
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new SetOptionsOperation(null, null, null, 1, 1, 1, 2, null,
            new Signer(new Ed25519SignerKey(low.AccountId), 1))), a)).Successful);
        var change = f.Builder(a).AddOperation(new SetOptionsOperation(null, null, null, null, null, null, null, null, new Signer(new Ed25519SignerKey(KeyPair.Random().AccountId), 1)));
        var r = f.Rejected(f.Sign(change, a));
        Assert.Equal(TransactionResultCode.TxFailed, r.Code);
        Assert.Equal("op_bad_auth", r.Results[0].ToHorizonName());
        Assert.True(f.SubmitAndClose(f.Sign(change, a, low)).Successful);
        // A medium-threshold operation (home domain) is fine with one key.
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new SetOptionsOperation(null, null, null, null, null, null, null, "example.com", null)), low)).Successful);
        Assert.Equal("example.com", f.Account(a).HomeDomain);
    }

    [Fact]
    public void AccountMerge_HAS_SUB_ENTRIES_SEQNUM_TOO_FAR_IMMUTABLE_SET_NO_ACCOUNT_AndSuccess()
    {
        var f = new EngineFixture();
        var (a, dest, issuer) = (f.Fund(1)[0], f.Fund(1)[0], f.Fund(1)[0]);
        var merge = new AccountMergeOperation(dest.AccountId);
        Assert.Equal("op_no_account", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new AccountMergeOperation(KeyPair.Random().AccountId)), a))));
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new ChangeTrustOperation(Asset.Credit("USD", issuer.AccountId), 10)), a)).Successful);
        Assert.Equal("op_has_sub_entries", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(merge), a))));
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new ChangeTrustOperation(Asset.Credit("USD", issuer.AccountId), 0)), a)).Successful);

        var far = f.Fund(1)[0];
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(far).AddOperation(new BumpSequenceOperation(SequenceNumber.FromLedger(f.Engine.Latest.Sequence + 10))), far)).Successful);
        Assert.Equal("op_seq_num_too_far", Code(f.SubmitAndClose(f.Sign(f.Builder(far).AddOperation(merge), far))));

        var frozen = f.Fund(1)[0];
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(frozen).AddOperation(new SetOptionsOperation(null, null, AccountState.AuthImmutableFlag, null, null, null, null, null, null)), frozen)).Successful);
        Assert.Equal("op_immutable_set", Code(f.SubmitAndClose(f.Sign(f.Builder(frozen).AddOperation(merge), frozen))));

        var destBefore = f.Account(dest).Balance;
        var aBalance = f.Account(a).Balance - 100;
        var ok = f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(merge), a));
        Assert.True(ok.Successful);
        Assert.Equal(new Stroops(aBalance), ok.Result.Results[0].MergedBalance);
        Assert.Null(f.Engine.GetAccount(a.AccountId));
        Assert.Equal(destBefore + aBalance, f.Account(dest).Balance);
    }

    [Fact]
    public void ManageData_AddUpdateRemove_NAME_NOT_FOUND_INVALID_NAME()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new ManageDataOperation("k", [1, 2])), a)).Successful);
        Assert.Equal(1u, f.Account(a).NumSubEntries);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new ManageDataOperation("k", [3])), a)).Successful);
        Assert.Equal(new byte[] { 3 }, f.Account(a).Data["k"]);
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new ManageDataOperation("k", null)), a)).Successful);
        Assert.Equal(0u, f.Account(a).NumSubEntries);
        Assert.Equal("op_data_name_not_found", Code(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new ManageDataOperation("k", null)), a))));
        Assert.Equal("op_data_invalid_name", f.Rejected(f.Sign(f.Builder(a).AddOperation(new ManageDataOperation("bad\u0001", [1])), a)).Results[0].ToHorizonName());
    }

    [Fact]
    public void PreAuthTx_SignerAuthorizesWithoutSignature_AndIsConsumed()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        // The pre-authorized transaction: a bump at the sequence after the one that adds the signer.
        var preAuthorized = new TransactionBuilder(a.AccountId, f.Seq(a) + 1).AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).Build();
        var preAuthHash = preAuthorized.Hash(f.Network).Value;
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new SetOptionsOperation(null, null, null, null, null, null, null, null,
            new Signer(new PreAuthTxSignerKey(preAuthHash), 1))), a)).Successful);
        Assert.Equal(1u, f.Account(a).NumSubEntries);

        var r = f.SubmitAndClose(preAuthorized.ToEnvelope());
        Assert.True(r.Successful);
        Assert.Empty(f.Account(a).Signers);
        Assert.Equal(0u, f.Account(a).NumSubEntries);
    }

    [Fact]
    public void HashX_SignerAuthorizesWithPreimage()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        byte[] preimage = [1, 2, 3, 4, 5];
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(new SetOptionsOperation(null, null, null, 0, null, null, null, null,
            new Signer(new HashXSignerKey(Hash256.Sha256(preimage)), 1))), a)).Successful);
        var env = f.Builder(a).AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).BuildEnvelope()
            .AddSignature(DecoratedSignature.ForHashX(preimage));
        Assert.True(f.SubmitAndClose(env).Successful);
        // The master key now has weight 0: its signature alone is not enough.
        Assert.Equal(TransactionResultCode.TxBadAuth, f.Rejected(f.Sign(f.Builder(a).AddOperation(new BumpSequenceOperation(new SequenceNumber(0))), a)).Code);
    }
}
