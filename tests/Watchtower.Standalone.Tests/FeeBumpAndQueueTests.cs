using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>CAP-15 fee bumps, the one-per-account queue with replace-by-fee, and surge pricing.</summary>
public sealed class FeeBumpAndQueueTests
{
    private static BumpSequenceOperation NoOpBump => new(new SequenceNumber(0));

    private static TransactionEnvelope Bump(EngineFixture f, TransactionEnvelope inner, KeyPair feeSource, long fee) =>
        FeeBumpTransaction.Wrap(inner, feeSource.AccountId, fee).ToEnvelope().Sign(f.Network, feeSource);

    [Fact]
    public void txFEE_BUMP_INNER_SUCCESS_FeeSourcePays_InnerSequenceConsumed()
    {
        var f = new EngineFixture();
        var (a, payer) = (f.Fund(1)[0], f.Fund(1)[0]);
        var inner = f.Sign(f.Builder(a).AddOperation(NoOpBump), a);
        var (aBefore, payerBefore) = (f.Account(a), f.Account(payer));
        var r = f.SubmitAndClose(Bump(f, inner, payer, 1000));
        Assert.Equal(TransactionResultCode.TxFeeBumpInnerSuccess, r.Result.Code);
        Assert.Equal(TransactionResultCode.TxSuccess, r.Result.Inner!.Result.Code);
        Assert.Equal(inner.Hash(f.Network), r.Result.Inner.TransactionHash);
        Assert.Equal(200, r.Result.FeeCharged);
        Assert.Equal(100, r.Result.Inner.Result.FeeCharged); // what the inner transaction alone would have paid (protocol < 25)
        Assert.Equal(aBefore.Balance, f.Account(a).Balance);
        Assert.Equal(aBefore.SeqNum + 1, f.Account(a).SeqNum);
        Assert.Equal(payerBefore.Balance - 200, f.Account(payer).Balance);
        Assert.Same(r, f.Engine.GetTransaction(inner.Hash(f.Network)));
    }

    [Fact]
    public void txFEE_BUMP_INNER_FAILED_CarriesInnerResult_FeeStillCharged()
    {
        var f = new EngineFixture();
        var (a, payer) = (f.Fund(1)[0], f.Fund(1)[0]);
        var inner = f.Sign(f.Builder(a).AddOperation(new PaymentOperation(KeyPair.Random().AccountId, Asset.Native, Stroops.FromLumens(1m))), a);
        var r = f.SubmitAndClose(Bump(f, inner, payer, 200));
        Assert.Equal(TransactionResultCode.TxFeeBumpInnerFailed, r.Result.Code);
        Assert.Equal(TransactionResultCode.TxFailed, r.Result.Inner!.Result.Code);
        Assert.Equal("op_no_destination", r.Result.Inner.Result.Results[0].ToHorizonName());
        Assert.Equal(200, r.Result.FeeCharged);
    }

    [Fact]
    public void FeeBump_txINSUFFICIENT_FEE_BelowOpsPlusOneTimesBaseFee_OrBelowInnerRate()
    {
        var f = new EngineFixture();
        var (a, payer) = (f.Fund(1)[0], f.Fund(1)[0]);
        var inner = f.Sign(f.Builder(a).AddOperation(NoOpBump), a);
        Assert.Equal(TransactionResultCode.TxInsufficientFee, f.Rejected(Bump(f, inner, payer, 199)).Code);
        var rich = f.Sign(f.Builder(a).WithFee(500).AddOperation(NoOpBump), a);
        var belowInnerRate = f.Rejected(Bump(f, rich, payer, 999));
        Assert.Equal(TransactionResultCode.TxInsufficientFee, belowInnerRate.Code);
        Assert.Equal(1000, belowInnerRate.FeeCharged); // what would have matched the inner rate
    }

    [Fact]
    public void FeeBump_txBAD_AUTH_EXTRA_OnUnusedOuterSignature_BeforeInnerChecks()
    {
        var f = new EngineFixture();
        var (a, payer) = (f.Fund(1)[0], f.Fund(1)[0]);
        var badInner = f.Sign(new TransactionBuilder(a.AccountId, f.Seq(a) + 3).AddOperation(NoOpBump), a);
        var env = Bump(f, badInner, payer, 400).Sign(f.Network, KeyPair.Random());
        Assert.Equal(TransactionResultCode.TxBadAuthExtra, f.Rejected(env).Code);
    }

    [Fact]
    public void FeeBump_InvalidInner_IsTxFEE_BUMP_INNER_FAILED_AtSubmission()
    {
        var f = new EngineFixture();
        var (a, payer) = (f.Fund(1)[0], f.Fund(1)[0]);
        var inner = f.Sign(new TransactionBuilder(a.AccountId, f.Seq(a) + 3).AddOperation(NoOpBump), a);
        var r = f.Rejected(Bump(f, inner, payer, 400));
        Assert.Equal(TransactionResultCode.TxFeeBumpInnerFailed, r.Code);
        Assert.Equal(TransactionResultCode.TxBadSeq, r.Inner!.Result.Code);
        // An inner transaction with a too-low own fee is fine when bumped (only the outer fee counts).
        var cheap = f.Sign(f.Builder(a).WithFee(0).AddOperation(NoOpBump), a);
        Assert.True(f.SubmitAndClose(Bump(f, cheap, payer, 200)).Successful);
    }

    [Fact]
    public void FeeBump_OuterTxBAD_AUTH_AndTxNO_ACCOUNT()
    {
        var f = new EngineFixture();
        var (a, payer) = (f.Fund(1)[0], f.Fund(1)[0]);
        var inner = f.Sign(f.Builder(a).AddOperation(NoOpBump), a);
        var unsigned = FeeBumpTransaction.Wrap(inner, payer.AccountId, 200).ToEnvelope();
        Assert.Equal(TransactionResultCode.TxBadAuth, f.Rejected(unsigned).Code);
        Assert.Equal(TransactionResultCode.TxNoAccount, f.Rejected(Bump(f, inner, KeyPair.Random(), 200)).Code);
    }

    [Fact]
    public void Queue_OnePerSourceAccount_SecondIsTryAgainLater_DuplicateIsDuplicate()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var first = f.Sign(f.Builder(a).AddOperation(NoOpBump), a);
        Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(first).Status);
        Assert.Equal(SubmitStatus.Duplicate, f.Engine.Submit(first).Status);
        var second = f.Sign(new TransactionBuilder(a.AccountId, f.Seq(a) + 1).AddOperation(NoOpBump), a);
        Assert.Equal(SubmitStatus.TryAgainLater, f.Engine.Submit(second).Status);
        Assert.Single(f.Engine.CloseLedger().Ledger.Transactions);
    }

    [Fact]
    public void Queue_FeeBumpOfQueuedTx_ReplacesIt_OnlyWithTenfoldFee()
    {
        var f = new EngineFixture();
        var (a, payer) = (f.Fund(1)[0], f.Fund(1)[0]);
        var inner = f.Sign(f.Builder(a).AddOperation(NoOpBump), a);
        Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(inner).Status);
        // Rate of the queued tx: 100/op; the bump needs 10x that over its 2 ops.
        var weak = f.Engine.Submit(Bump(f, inner, payer, 1999));
        Assert.Equal(SubmitStatus.Error, weak.Status);
        Assert.Equal(TransactionResultCode.TxInsufficientFee, weak.Error!.Code);
        Assert.Equal(2000, weak.Error.FeeCharged);
        var strong = Bump(f, inner, payer, 2000);
        Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(strong).Status);
        var ledger = f.Engine.CloseLedger().Ledger;
        Assert.Equal(strong.Hash(f.Network), Assert.Single(ledger.Transactions).Hash);
    }

    [Fact]
    public void SurgePricing_FullLedgerTakesHighestFeeRates_AndRaisesChargedFee()
    {
        var f = new EngineFixture(maxOps: 3);
        var keys = Enumerable.Range(0, 5).Select(_ => f.Fund(1)[0]).ToArray();
        var fees = new uint[] { 100, 300, 200, 500, 150 };
        var hashes = new TransactionHash[5];
        for (var i = 0; i < 5; i++)
        {
            var env = f.Sign(f.Builder(keys[i]).WithFee(fees[i]).AddOperation(NoOpBump), keys[i]);
            hashes[i] = env.Hash(f.Network);
            Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(env).Status);
        }

        var closed = f.Engine.CloseLedger();
        Assert.Equal(200, closed.SurgeBaseFee);
        var included = closed.Ledger.Transactions.Select(t => t.Hash).ToHashSet();
        Assert.Equal(new[] { hashes[1], hashes[2], hashes[3] }.ToHashSet(), included);
        Assert.All(closed.Ledger.Transactions, t => Assert.Equal(200, t.Result.FeeCharged));
        // The cheaper ones wait for the next ledger, which has room: back to the base fee.
        var next = f.Engine.CloseLedger();
        Assert.Equal(2, next.Ledger.Transactions.Length);
        Assert.All(next.Ledger.Transactions, t => Assert.Equal(100, t.Result.FeeCharged));
    }

    [Fact]
    public void SurgePricing_FeeBumpLetsAStuckTransactionIn()
    {
        // Two-op ledgers: a 100/op transaction is outbid by an 800/op one until its fee bump (2 ops at 2000/op) outbids both.
        var g = new EngineFixture(maxOps: 2);
        var (c, d, p2) = (g.Fund(1)[0], g.Fund(1)[0], g.Fund(1)[0]);
        var stuck = g.Sign(g.Builder(c).AddOperation(NoOpBump), c);
        var rival = g.Sign(g.Builder(d).WithFee(800).AddOperation(NoOpBump), d);
        Assert.Equal(SubmitStatus.Pending, g.Engine.Submit(stuck).Status);
        Assert.Equal(SubmitStatus.Pending, g.Engine.Submit(rival).Status);
        var bumped = Bump(g, stuck, p2, 4000);
        Assert.Equal(SubmitStatus.Pending, g.Engine.Submit(bumped).Status);
        var ledger = g.Engine.CloseLedger().Ledger;
        Assert.Equal(bumped.Hash(g.Network), Assert.Single(ledger.Transactions).Hash);
    }

    [Fact]
    public void QueuedTransaction_PastMaxTime_IsDroppedUncharged()
    {
        var f = new EngineFixture();
        var a = f.Fund(1)[0];
        var now = (ulong)f.Engine.Now.ToUnixTimeSeconds();
        var env = f.Sign(f.Builder(a).WithTimeBounds(new TimeBounds(0, now + 10)).AddOperation(NoOpBump), a);
        Assert.Equal(SubmitStatus.Pending, f.Engine.Submit(env).Status);
        var before = f.Account(a);
        f.Advance(TimeSpan.FromSeconds(60));
        var closed = f.Engine.CloseLedger();
        Assert.Empty(closed.Ledger.Transactions);
        Assert.Equal(TransactionResultCode.TxTooLate, Assert.Single(closed.Dropped).Result.Code);
        Assert.Equal(before.Balance, f.Account(a).Balance);
        Assert.Equal(0, f.Engine.PendingCount);
    }
}
