using System.Collections.Immutable;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>Submission-time validity in stellar-core's order; none of these ever enter a ledger or cost a fee.</summary>
public sealed class ValidationTests
{
    private static BumpSequenceOperation NoOpBump => new(new SequenceNumber(0));

    [Fact]
    public void txMISSING_OPERATION_WhenNoOperations()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var tx = new Transaction(a.AccountId, 100, f.Seq(a) + 1, Preconditions.None, Memo.None, ImmutableArray<Operation>.Empty);
        var env = new TransactionV1Envelope(tx, []).Sign(f.Network, a);
        Assert.Equal(TransactionResultCode.TxMissingOperation, f.Rejected(env).Code);
    }

    [Fact]
    public void txMALFORMED_WhenExtraSignersAreDuplicated()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var key = new Ed25519SignerKey(a.AccountId);
        var env = f.Sign(f.Builder(a).WithPreconditions(new Preconditions { ExtraSigners = [key, key] }).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxMalformed, f.Rejected(env).Code);
    }

    [Fact]
    public void txTOO_EARLY_AndTxTOO_LATE_AgainstLedgerCloseTime_NotCharged()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var before = f.Account(a);
        var close = f.Engine.Latest.Header.CloseTime;
        var early = f.Sign(f.Builder(a).WithTimeBounds(new TimeBounds(close + 100, 0)).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxTooEarly, f.Rejected(early).Code);
        var late = f.Sign(f.Builder(a).WithTimeBounds(new TimeBounds(0, close - 1)).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxTooLate, f.Rejected(late).Code);
        f.Engine.CloseLedger();
        Assert.Equal(before with { LastModifiedLedger = before.LastModifiedLedger }, f.Account(a));

        // Once ledger time reaches minTime the same transaction is valid.
        f.Advance(TimeSpan.FromSeconds(200));
        f.Engine.CloseLedger();
        Assert.True(f.SubmitAndClose(early).Successful);
    }

    [Fact]
    public void txTOO_EARLY_AndTxTOO_LATE_ForLedgerBounds()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var next = f.Engine.Latest.Sequence + 1;
        var early = f.Sign(f.Builder(a).WithPreconditions(new Preconditions { LedgerBounds = new LedgerBounds(next + 5, 0) }).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxTooEarly, f.Rejected(early).Code);
        var late = f.Sign(f.Builder(a).WithPreconditions(new Preconditions { LedgerBounds = new LedgerBounds(0, next) }).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxTooLate, f.Rejected(late).Code);
    }

    [Fact]
    public void txINSUFFICIENT_FEE_BelowBaseFeeTimesOperations()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var env = f.Sign(f.Builder(a).WithFee(99).AddOperation(NoOpBump), a);
        var r = f.Rejected(env);
        Assert.Equal(TransactionResultCode.TxInsufficientFee, r.Code);
        Assert.Equal(100, r.FeeCharged);
    }

    [Fact]
    public void txNO_ACCOUNT_WhenSourceMissing()
    {
        var f = new EngineFixture();
        var ghost = KeyPair.Random();
        var env = f.Sign(new TransactionBuilder(ghost.AccountId, new SequenceNumber(1)).AddOperation(NoOpBump), ghost);
        Assert.Equal(TransactionResultCode.TxNoAccount, f.Rejected(env).Code);
    }

    [Fact]
    public void txBAD_SEQ_WhenNotCurrentPlusOne()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var env = f.Sign(new TransactionBuilder(a.AccountId, f.Seq(a) + 1).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxBadSeq, f.Rejected(env).Code);
        Assert.Equal(f.Seq(a), new SequenceNumber(f.Account(a).SeqNum));
    }

    [Fact]
    public void MinSeqNum_RelaxesTheSequenceCheck_ElseTxBAD_SEQ()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var current = f.Seq(a);
        // seq = current + 10 is acceptable when minSeqNum <= current < seq.
        var relaxed = f.Sign(new TransactionBuilder(a.AccountId, current + 9)
            .WithPreconditions(new Preconditions { MinSeqNum = current }).AddOperation(NoOpBump), a);
        Assert.True(f.SubmitAndClose(relaxed).Successful);
        Assert.Equal(current.Value + 10, f.Account(a).SeqNum);

        var tooHighMin = f.Sign(new TransactionBuilder(a.AccountId, f.Seq(a) + 5)
            .WithPreconditions(new Preconditions { MinSeqNum = f.Seq(a) + 1 }).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxBadSeq, f.Rejected(tooHighMin).Code);
    }

    [Fact]
    public void txBAD_MIN_SEQ_AGE_OR_GAP_UntilAgeAndGapHavePassed()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        Assert.True(f.SubmitAndClose(f.Sign(f.Builder(a).AddOperation(NoOpBump), a)).Successful);
        var account = f.Account(a);
        Assert.Equal(f.Engine.Latest.Sequence, account.SeqLedger);
        Assert.Equal(f.Engine.Latest.Header.CloseTime, account.SeqTime);

        var aged = f.Sign(f.Builder(a).WithPreconditions(new Preconditions { MinSeqAge = 60 }).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxBadMinSeqAgeOrGap, f.Rejected(aged).Code);
        var gapped = f.Sign(f.Builder(a).WithPreconditions(new Preconditions { MinSeqLedgerGap = 3 }).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxBadMinSeqAgeOrGap, f.Rejected(gapped).Code);

        f.Advance(TimeSpan.FromSeconds(120));
        f.Engine.CloseLedger();
        Assert.True(f.SubmitAndClose(aged).Successful);
        f.Engine.CloseLedger();
        f.Engine.CloseLedger();
        f.Engine.CloseLedger();
        var gapped2 = f.Sign(f.Builder(a).WithPreconditions(new Preconditions { MinSeqLedgerGap = 3 }).AddOperation(NoOpBump), a);
        Assert.True(f.SubmitAndClose(gapped2).Successful);
    }

    [Fact]
    public void txBAD_AUTH_WhenUnsignedOrSignedByStranger()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        Assert.Equal(TransactionResultCode.TxBadAuth, f.Rejected(f.Sign(f.Builder(a).AddOperation(NoOpBump))).Code);
        Assert.Equal(TransactionResultCode.TxBadAuth, f.Rejected(f.Sign(f.Builder(a).AddOperation(NoOpBump), KeyPair.Random())).Code);
    }

    [Fact]
    public void txBAD_AUTH_EXTRA_WhenASignatureIsUnused()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var env = f.Sign(f.Builder(a).AddOperation(NoOpBump), a, KeyPair.Random());
        Assert.Equal(TransactionResultCode.TxBadAuthExtra, f.Rejected(env).Code);
    }

    [Fact]
    public void txBAD_AUTH_WhenExtraSignerMissing_AndValidWithIt()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var extra = KeyPair.Random();
        var b = f.Builder(a).WithPreconditions(new Preconditions { ExtraSigners = [new Ed25519SignerKey(extra.AccountId)] }).AddOperation(NoOpBump);
        Assert.Equal(TransactionResultCode.TxBadAuth, f.Rejected(f.Sign(b, a)).Code);
        Assert.True(f.SubmitAndClose(f.Sign(b, a, extra)).Successful);
    }

    [Fact]
    public void txINSUFFICIENT_BALANCE_WhenFeeWouldBreakReserve()
    {
        var f = new EngineFixture();
        var a = f.Fund(1, lumens: 1m)[0]; // exactly the 2-entry reserve: nothing left for fees
        var env = f.Sign(f.Builder(a).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxInsufficientBalance, f.Rejected(env).Code);
    }

    [Fact]
    public void opBAD_AUTH_WhenOperationSourceDidNotSign_TxFAILED()
    {
        var f = new EngineFixture();
        var keys = f.Fund(2);
        var env = f.Sign(f.Builder(keys[0]).AddOperation(new BumpSequenceOperation(new SequenceNumber(0)) { SourceAccount = keys[1].AccountId }), keys[0]);
        var r = f.Rejected(env);
        Assert.Equal(TransactionResultCode.TxFailed, r.Code);
        Assert.Equal(OperationResultCode.OpBadAuth, r.Results[0].Code);
    }

    [Fact]
    public void BumpSequence_BAD_SEQ_WhenNegative()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var r = f.Rejected(f.Sign(f.Builder(a).AddOperation(new BumpSequenceOperation(new SequenceNumber(-1))), a));
        Assert.Equal(TransactionResultCode.TxFailed, r.Code);
        Assert.Equal("op_bad_seq", r.Results[0].ToHorizonName());
    }
}
