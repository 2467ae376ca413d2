using System.Collections.Immutable;
using System.Numerics;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Engine;

/// <summary>How far a transaction got through validation (stellar-core's TransactionFrame::ValidationType).</summary>
internal enum Validity
{
    Invalid = 0,
    InvalidUpdateSeqNum = 1,
    InvalidPostAuth = 2,
    MaybeValid = 3,
}

/// <summary>
/// Transaction validation (at submission) and application (at ledger close) in stellar-core's
/// order: TransactionFrame::commonValidPreSeqNum, commonValid, processSeqNum, processSignatures,
/// applyOperations, and their FeeBumpTransactionFrame counterparts.
/// </summary>
internal static class TransactionProcessor
{
    /// <summary>
    /// Validity at submission. <paramref name="ctx"/> holds the next ledger's number and the last
    /// close time; <paramref name="upperBoundCloseTimeOffset"/> how much later the next close may be (for maxTime).
    /// A valid transaction gets txSUCCESS / txFEE_BUMP_INNER_SUCCESS.
    /// </summary>
    public static TransactionResult CheckValid(LedgerView view, LedgerContext ctx, TxFrame frame, ulong upperBoundCloseTimeOffset) =>
        frame.IsFeeBump
            ? CheckValidFeeBump(view, ctx, frame, upperBoundCloseTimeOffset)
            : CheckValidInner(view, ctx, frame, chargeFee: true, upperBoundCloseTimeOffset);

    /// <summary>
    /// Applies a transaction whose fee was already charged (feeCharged) in the ledger's fee phase;
    /// <paramref name="ledgerBaseFee"/> is the base fee the transaction set pays (raised by surge pricing).
    /// </summary>
    public static TransactionResult Apply(LedgerView ledger, LedgerContext ctx, TxFrame frame, long feeCharged, long ledgerBaseFee)
    {
        if (!frame.IsFeeBump)
        {
            var applied = ApplyInner(ledger, ctx, frame, chargeFee: true);
            return new TransactionResult(feeCharged, applied.Code, applied.Results);
        }

        var outer = ledger.Nest();
        RemoveOneTimeSigner(outer, frame.FeeSource, frame.Hash.Value);
        outer.Commit();
        // Before protocol 25 the inner result reports what the inner transaction alone would have paid.
        var innerFee = Math.Min(frame.Tx.Fee, ledgerBaseFee * Math.Max(1, frame.Tx.Operations.Length));
        var inner = ApplyInner(ledger, ctx, frame, chargeFee: false);
        return FeeBumpResult(feeCharged, frame, inner, innerFee);
    }

    /// <summary>The minimum fee: base fee × operations (a fee bump counts one extra operation).</summary>
    public static long MinFee(LedgerContext ctx, int ops) => ctx.BaseFee * Math.Max(1, ops);

    private static TransactionResult CheckValidFeeBump(LedgerView view, LedgerContext ctx, TxFrame frame, ulong upperOffset)
    {
        var minFee = MinFee(ctx, frame.FeeOps);
        if (frame.FeeBid < minFee)
        {
            return new TransactionResult(minFee, TransactionResultCode.TxInsufficientFee, []);
        }

        // The outer fee rate must be at least the inner one: fee/(ops+1) >= innerFee/ops.
        var innerMin = MinFee(ctx, frame.Tx.Operations.Length);
        var innerRate = (BigInteger)frame.Tx.Fee * minFee;
        if ((BigInteger)frame.FeeBid * innerMin < innerRate)
        {
            // The result carries the fee that would have been enough.
            var required = (innerRate + innerMin - 1) / innerMin;
            return new TransactionResult(required > long.MaxValue ? long.MaxValue : (long)required, TransactionResultCode.TxInsufficientFee, []);
        }

        var feeSource = view.Account(frame.FeeSource);
        if (feeSource is null)
        {
            return new TransactionResult(minFee, TransactionResultCode.TxNoAccount, []);
        }

        var outerSigs = new SignatureChecker(frame.Hash, frame.OuterSignatures, frame.OuterVerifications);
        if (!outerSigs.CheckSignature(SignatureChecker.AccountSigners(feeSource.Id, feeSource.Thresholds, feeSource.Signers), feeSource.Thresholds.Low))
        {
            return new TransactionResult(minFee, TransactionResultCode.TxBadAuth, []);
        }

        if (feeSource.AvailableBalance(ctx.BaseReserve) < frame.FeeBid)
        {
            return new TransactionResult(minFee, TransactionResultCode.TxInsufficientBalance, []);
        }

        // Core checks the outer signatures are all used before it looks at the inner transaction.
        if (!outerSigs.CheckAllSignaturesUsed())
        {
            return new TransactionResult(minFee, TransactionResultCode.TxBadAuthExtra, []);
        }

        var inner = CheckValidInner(view, ctx, frame, chargeFee: false, upperOffset);
        return FeeBumpResult(minFee, frame, inner, inner.FeeCharged);
    }

    private static TransactionResult FeeBumpResult(long feeCharged, TxFrame frame, TransactionResult inner, long innerFee) =>
        new(feeCharged, inner.IsSuccess ? TransactionResultCode.TxFeeBumpInnerSuccess : TransactionResultCode.TxFeeBumpInnerFailed, [],
            new InnerTransactionResultPair(frame.InnerHash, new InnerTransactionResult(innerFee, inner.Code, inner.Results)));

    private static TransactionResult CheckValidInner(LedgerView view, LedgerContext ctx, TxFrame frame, bool chargeFee, ulong upperOffset)
    {
        var fee = chargeFee ? MinFee(ctx, frame.Tx.Operations.Length) : 0;
        var sigs = new SignatureChecker(frame.InnerHash, frame.InnerSignatures, frame.InnerVerifications);
        var (code, validity) = CommonValid(view, ctx, frame, sigs, applying: false, chargeFee, upperOffset);
        if (validity != Validity.MaybeValid)
        {
            return new TransactionResult(fee, code, []);
        }

        var ops = DefaultResults(frame.Tx);
        for (var i = 0; i < frame.Tx.Operations.Length; i++)
        {
            var op = frame.Tx.Operations[i];
            var result = CheckOperationSignature(view, frame, op, sigs, forApply: false)
                ?? Operations.CheckValid(op, OperationSource(frame, op));
            if (!result.IsSuccess)
            {
                // Submission fails fast on the first invalid operation, like core's checkValid.
                ops[i] = result;
                return new TransactionResult(fee, TransactionResultCode.TxFailed, ops.ToImmutable());
            }
        }

        return sigs.CheckAllSignaturesUsed()
            ? new TransactionResult(fee, TransactionResultCode.TxSuccess, ops.ToImmutable())
            : new TransactionResult(fee, TransactionResultCode.TxBadAuthExtra, []);
    }

    private static TransactionResult ApplyInner(LedgerView ledger, LedgerContext ctx, TxFrame frame, bool chargeFee)
    {
        var tx = frame.Tx;
        var sigs = new SignatureChecker(frame.InnerHash, frame.InnerSignatures, frame.InnerVerifications);
        var txView = ledger.Nest();
        var (code, validity) = CommonValid(txView, ctx, frame, sigs, applying: true, chargeFee, 0);

        // The sequence number is consumed once the transaction got past the sequence check, even if it then fails.
        if (validity >= Validity.InvalidUpdateSeqNum)
        {
            var source = txView.Account(frame.Source)!;
            txView.Put(source with
            {
                SeqNum = tx.Sequence.Value, SeqLedger = ctx.LedgerSeq, SeqTime = ctx.CloseTime, LastModifiedLedger = ctx.LedgerSeq,
            });
        }

        var ops = DefaultResults(tx);
        var signaturesValid = false;
        if (validity == Validity.MaybeValid)
        {
            var allOpsValid = true;
            for (var i = 0; i < tx.Operations.Length; i++)
            {
                if (CheckOperationSignature(txView, frame, tx.Operations[i], sigs, forApply: false) is { } failure)
                {
                    ops[i] = failure;
                    allOpsValid = false;
                }
            }

            if (!allOpsValid)
            {
                code = TransactionResultCode.TxFailed;
            }
            else if (!sigs.CheckAllSignaturesUsed())
            {
                code = TransactionResultCode.TxBadAuthExtra;
            }
            else
            {
                signaturesValid = true;
            }
        }

        // A matching pre-auth signer is consumed whatever the outcome, once the transaction is applied.
        RemoveOneTimeSigners(txView, frame);
        txView.Commit();
        if (!signaturesValid)
        {
            return new TransactionResult(0, code, code == TransactionResultCode.TxFailed ? ops.ToImmutable() : []);
        }

        var opsView = ledger.Nest();
        var success = true;
        for (var i = 0; i < tx.Operations.Length; i++)
        {
            var op = tx.Operations[i];
            var opSource = OperationSource(frame, op);
            var opView = opsView.Nest();
            var result = opView.Account(opSource) is null
                ? OperationResult.Outer(OperationResultCode.OpNoAccount)
                : Operations.CheckValid(op, opSource);
            if (result.IsSuccess)
            {
                result = Operations.Apply(opView, ctx, op, opSource);
            }

            ops[i] = result;
            if (result.IsSuccess)
            {
                opView.Commit();
            }
            else
            {
                success = false;
            }
        }

        if (!success)
        {
            // Dropping opsView rolls back every operation of the transaction.
            return new TransactionResult(0, TransactionResultCode.TxFailed, ops.ToImmutable());
        }

        opsView.Commit();
        return new TransactionResult(0, TransactionResultCode.TxSuccess, ops.ToImmutable());
    }

    private static (TransactionResultCode Code, Validity Validity) CommonValid(
        LedgerView view, LedgerContext ctx, TxFrame frame, SignatureChecker sigs, bool applying, bool chargeFee, ulong upperOffset)
    {
        var tx = frame.Tx;
        var pre = tx.Preconditions;
        var extra = pre.ExtraSigners.IsDefault ? ImmutableArray<SignerKey>.Empty : pre.ExtraSigners;
        if ((extra.Length == 2 && extra[0] == extra[1]) || extra.Any(k => k is SignedPayloadSignerKey sp && sp.PayloadSpan.IsEmpty))
        {
            return (TransactionResultCode.TxMalformed, Validity.Invalid);
        }

        if (tx.Operations.Length == 0)
        {
            return (TransactionResultCode.TxMissingOperation, Validity.Invalid);
        }

        if ((pre.TimeBounds is { } tbEarly && tbEarly.MinTime != 0 && tbEarly.MinTime > ctx.CloseTime)
            || (pre.LedgerBounds is { } lbEarly && lbEarly.Min > ctx.LedgerSeq))
        {
            return (TransactionResultCode.TxTooEarly, Validity.Invalid);
        }

        if ((pre.TimeBounds is { } tbLate && tbLate.MaxTime != 0 && tbLate.MaxTime < ctx.CloseTime + upperOffset)
            || (pre.LedgerBounds is { } lbLate && lbLate.Max != 0 && lbLate.Max <= ctx.LedgerSeq))
        {
            return (TransactionResultCode.TxTooLate, Validity.Invalid);
        }

        if (chargeFee && tx.Fee < MinFee(ctx, tx.Operations.Length))
        {
            return (TransactionResultCode.TxInsufficientFee, Validity.Invalid);
        }

        var account = view.Account(frame.Source);
        if (account is null)
        {
            return (TransactionResultCode.TxNoAccount, Validity.Invalid);
        }

        if (IsBadSeq(ctx, tx, account.SeqNum))
        {
            return (TransactionResultCode.TxBadSeq, Validity.Invalid);
        }

        if (IsTooEarlyForAccount(ctx, pre, account))
        {
            return (TransactionResultCode.TxBadMinSeqAgeOrGap, Validity.InvalidUpdateSeqNum);
        }

        if (!sigs.CheckSignature(SignatureChecker.AccountSigners(account.Id, account.Thresholds, account.Signers), account.Thresholds.Low))
        {
            return (TransactionResultCode.TxBadAuth, Validity.InvalidUpdateSeqNum);
        }

        if (extra.Length > 0 && !sigs.CheckSignature(extra.Select(k => new Signer(k, 1)).ToList(), extra.Length))
        {
            return (TransactionResultCode.TxBadAuth, Validity.InvalidUpdateSeqNum);
        }

        // When applying, the fee has already been taken in the fee phase.
        var feeToPay = applying ? 0 : tx.Fee;
        if (chargeFee && account.AvailableBalance(ctx.BaseReserve) < feeToPay)
        {
            return (TransactionResultCode.TxInsufficientBalance, Validity.InvalidPostAuth);
        }

        return (TransactionResultCode.TxSuccess, Validity.MaybeValid);
    }

    private static bool IsBadSeq(LedgerContext ctx, Transaction tx, long current)
    {
        var seq = tx.Sequence.Value;
        if (seq == (long)ctx.LedgerSeq << 32)
        {
            return true;
        }

        if (tx.Preconditions.MinSeqNum is { } minSeq)
        {
            return current < minSeq.Value || current >= seq;
        }

        return current == long.MaxValue || current + 1 != seq;
    }

    private static bool IsTooEarlyForAccount(LedgerContext ctx, Preconditions pre, AccountState account)
    {
        if (pre.MinSeqAge > ctx.CloseTime || ctx.CloseTime - pre.MinSeqAge < account.SeqTime)
        {
            return true;
        }

        return pre.MinSeqLedgerGap > ctx.LedgerSeq || ctx.LedgerSeq - pre.MinSeqLedgerGap < account.SeqLedger;
    }

    /// <summary>OperationFrame::checkSignature; null when the operation's source has signed enough.</summary>
    private static OperationResult? CheckOperationSignature(LedgerView view, TxFrame frame, Operation op, SignatureChecker sigs, bool forApply)
    {
        var type = op.Type;
        var sourceId = OperationSource(frame, op);
        var source = view.Account(sourceId);
        if (source is not null)
        {
            return sigs.CheckSignature(SignatureChecker.AccountSigners(source.Id, source.Thresholds, source.Signers), Operations.NeededThreshold(op, source))
                ? null
                : OperationResult.Outer(OperationResultCode.OpBadAuth);
        }

        if (forApply || op.SourceAccount is null)
        {
            return OperationResult.Outer(OperationResultCode.OpNoAccount);
        }

        // A not-yet-existing operation source must at least have signed with its own key.
        return sigs.CheckSignature([new Signer(new Ed25519SignerKey(sourceId), 1)], 0)
            ? null
            : OperationResult.Outer(OperationResultCode.OpBadAuth);
    }

    private static AccountId OperationSource(TxFrame frame, Operation op) => op.SourceAccount?.Account ?? frame.Source;

    private static ImmutableArray<OperationResult>.Builder DefaultResults(Transaction tx)
    {
        var ops = ImmutableArray.CreateBuilder<OperationResult>(tx.Operations.Length);
        foreach (var op in tx.Operations)
        {
            ops.Add(Operations.InnerResult(op.Type, 0));
        }

        return ops;
    }

    private static void RemoveOneTimeSigners(LedgerView view, TxFrame frame)
    {
        var accounts = new HashSet<AccountId> { frame.Source };
        foreach (var op in frame.Tx.Operations)
        {
            accounts.Add(OperationSource(frame, op));
        }

        foreach (var id in accounts)
        {
            RemoveOneTimeSigner(view, id, frame.InnerHash.Value);
        }
    }

    private static void RemoveOneTimeSigner(LedgerView view, AccountId id, Hash256 txHash)
    {
        var account = view.Account(id);
        if (account is null)
        {
            return;
        }

        for (var i = 0; i < account.Signers.Length; i++)
        {
            if (account.Signers[i].Key is PreAuthTxSignerKey preAuth && preAuth.Hash == txHash)
            {
                view.Put(account with { Signers = account.Signers.RemoveAt(i), NumSubEntries = account.NumSubEntries - 1 });
                return;
            }
        }
    }
}
