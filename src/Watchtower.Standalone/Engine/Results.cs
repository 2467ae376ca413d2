using System.Collections.Immutable;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Engine;

/// <summary>stellar-core's TransactionResultCode (numbering as in Stellar-transaction.x).</summary>
public enum TxCode
{
    FeeBumpInnerSuccess = 1,
    Success = 0,
    Failed = -1,
    TooEarly = -2,
    TooLate = -3,
    MissingOperation = -4,
    BadSeq = -5,
    BadAuth = -6,
    InsufficientBalance = -7,
    NoAccount = -8,
    InsufficientFee = -9,
    BadAuthExtra = -10,
    InternalError = -11,
    NotSupported = -12,
    FeeBumpInnerFailed = -13,
    BadSponsorship = -14,
    BadMinSeqAgeOrGap = -15,
    Malformed = -16,
}

/// <summary>OperationResultCode: opINNER carries a per-type code, the others are generic failures.</summary>
public enum OpOuterCode
{
    Inner = 0,
    BadAuth = -1,
    NoAccount = -2,
    NotSupported = -3,
    TooManySubentries = -4,
}

/// <summary>
/// One operation's result: the outer code and, for opINNER, the per-type code (0 = success, the
/// negative codes of CreateAccountResultCode, PaymentResultCode, … as numbered in the XDR).
/// </summary>
public readonly record struct OpResult(OperationType Type, OpOuterCode Outer, int Code, long MergedBalance = 0)
{
    public bool IsSuccess => Outer == OpOuterCode.Inner && Code == 0;

    public static OpResult Ok(OperationType type) => new(type, OpOuterCode.Inner, 0);

    public static OpResult Fail(OperationType type, int code) => new(type, OpOuterCode.Inner, code);

    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt32((int)Outer);
        if (Outer != OpOuterCode.Inner)
        {
            return;
        }

        w.WriteInt32((int)Type);
        w.WriteInt32(Code);
        if (Type == OperationType.AccountMerge && Code == 0)
        {
            w.WriteInt64(MergedBalance);
        }
    }
}

/// <summary>A transaction's result; fee bumps carry the inner transaction's hash and result.</summary>
public sealed record TxResult(long FeeCharged, TxCode Code, ImmutableArray<OpResult> Ops, TransactionHash? InnerHash = null, TxResult? Inner = null)
{
    public bool IsSuccess => Code is TxCode.Success or TxCode.FeeBumpInnerSuccess;

    public static TxResult Of(long fee, TxCode code) => new(fee, code, ImmutableArray<OpResult>.Empty);

    /// <summary>The TransactionResult XDR (for fee bumps with the InnerTransactionResultPair).</summary>
    public byte[] ToXdr()
    {
        var w = new XdrWriter(64 + (Ops.IsDefaultOrEmpty ? 0 : Ops.Length * 16));
        WriteXdr(w);
        return w.ToArray();
    }

    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt64(FeeCharged);
        WriteBody(w);
        w.WriteInt32(0); // ext
    }

    private void WriteBody(XdrWriter w)
    {
        w.WriteInt32((int)Code);
        switch (Code)
        {
            case TxCode.Success or TxCode.Failed:
                WriteOps(w);
                break;
            case TxCode.FeeBumpInnerSuccess or TxCode.FeeBumpInnerFailed:
                w.WriteFixedOpaque(InnerHash!.Value.Bytes);
                // InnerTransactionResult: feeCharged, result (no fee-bump arms), ext.
                w.WriteInt64(Inner!.FeeCharged);
                w.WriteInt32((int)Inner.Code);
                if (Inner.Code is TxCode.Success or TxCode.Failed)
                {
                    Inner.WriteOps(w);
                }

                w.WriteInt32(0);
                break;
        }
    }

    private void WriteOps(XdrWriter w)
    {
        var ops = Ops.IsDefault ? ImmutableArray<OpResult>.Empty : Ops;
        w.WriteUInt32((uint)ops.Length);
        foreach (var op in ops)
        {
            op.WriteXdr(w);
        }
    }
}
