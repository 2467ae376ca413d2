using System.Collections.Immutable;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>Transaction result codes with stellar-core's numbering.</summary>
public enum TransactionResultCode
{
    TxFeeBumpInnerSuccess = 1,
    TxSuccess = 0,
    TxFailed = -1,
    TxTooEarly = -2,
    TxTooLate = -3,
    TxMissingOperation = -4,
    TxBadSeq = -5,
    TxBadAuth = -6,
    TxInsufficientBalance = -7,
    TxNoAccount = -8,
    TxInsufficientFee = -9,
    TxBadAuthExtra = -10,
    TxInternalError = -11,
    TxNotSupported = -12,
    TxFeeBumpInnerFailed = -13,
    TxBadSponsorship = -14,
    TxBadMinSeqAgeOrGap = -15,
    TxMalformed = -16,
    TxSorobanInvalid = -17,
    TxFrozenKeyAccessed = -18,
}

public enum OperationResultCode
{
    OpInner = 0,
    OpBadAuth = -1,
    OpNoAccount = -2,
    OpNotSupported = -3,
    OpTooManySubentries = -4,
    OpExceededWorkLimit = -5,
    OpTooManySponsoring = -6,
}

public enum CreateAccountResultCode
{
    Success = 0,
    Malformed = -1,
    Underfunded = -2,
    LowReserve = -3,
    AlreadyExist = -4,
}

public enum PaymentResultCode
{
    Success = 0,
    Malformed = -1,
    Underfunded = -2,
    SrcNoTrust = -3,
    SrcNotAuthorized = -4,
    NoDestination = -5,
    NoTrust = -6,
    NotAuthorized = -7,
    LineFull = -8,
    NoIssuer = -9,
}

public enum SetOptionsResultCode
{
    Success = 0,
    LowReserve = -1,
    TooManySigners = -2,
    BadFlags = -3,
    InvalidInflation = -4,
    CantChange = -5,
    UnknownFlag = -6,
    ThresholdOutOfRange = -7,
    BadSigner = -8,
    InvalidHomeDomain = -9,
    AuthRevocableRequired = -10,
}

public enum ChangeTrustResultCode
{
    Success = 0,
    Malformed = -1,
    NoIssuer = -2,
    InvalidLimit = -3,
    LowReserve = -4,
    SelfNotAllowed = -5,
    TrustLineMissing = -6,
    CannotDelete = -7,
    NotAuthMaintainLiabilities = -8,
}

public enum AccountMergeResultCode
{
    Success = 0,
    Malformed = -1,
    NoAccount = -2,
    ImmutableSet = -3,
    HasSubEntries = -4,
    SeqnumTooFar = -5,
    DestFull = -6,
    IsSponsor = -7,
}

public enum ManageDataResultCode
{
    Success = 0,
    NotSupportedYet = -1,
    NameNotFound = -2,
    LowReserve = -3,
    InvalidName = -4,
}

public enum BumpSequenceResultCode
{
    Success = 0,
    BadSeq = -1,
}

/// <summary>
/// An operation result (XDR OperationResult) for the modelled operations: the outer code and, when it
/// is opINNER, the operation type and its per-type code (plus the merged balance of a successful merge).
/// </summary>
public sealed record OperationResult : IXdrCodec<OperationResult>
{
    private OperationResult(OperationResultCode code, OperationType type, int innerCode, Stroops? mergedBalance)
    {
        Code = code;
        Type = type;
        InnerCode = innerCode;
        MergedBalance = mergedBalance;
    }

    public OperationResultCode Code { get; }

    /// <summary>The operation type (meaningful only when <see cref="Code"/> is OpInner).</summary>
    public OperationType Type { get; }

    /// <summary>The per-type result code (0 = success), meaningful only when <see cref="Code"/> is OpInner.</summary>
    public int InnerCode { get; }

    /// <summary>ACCOUNT_MERGE_SUCCESS carries the source account's balance that was merged.</summary>
    public Stroops? MergedBalance { get; }

    public bool IsSuccess => Code == OperationResultCode.OpInner && InnerCode == 0;

    /// <summary>An outer failure (opBAD_AUTH, opNO_ACCOUNT, …) with no per-type result.</summary>
    public static OperationResult Outer(OperationResultCode code)
    {
        if (code == OperationResultCode.OpInner)
        {
            throw new ArgumentException("use Inner(...) for opINNER", nameof(code));
        }

        return new OperationResult(code, default, 0, null);
    }

    public static OperationResult Inner(OperationType type, int innerCode)
    {
        CheckModelled(type);
        if (type == OperationType.AccountMerge && innerCode == 0)
        {
            throw new ArgumentException("a successful merge carries the merged balance: use AccountMergeSuccess", nameof(innerCode));
        }

        return new OperationResult(OperationResultCode.OpInner, type, innerCode, null);
    }

    public static OperationResult Inner(CreateAccountResultCode code) => Inner(OperationType.CreateAccount, (int)code);

    public static OperationResult Inner(PaymentResultCode code) => Inner(OperationType.Payment, (int)code);

    public static OperationResult Inner(SetOptionsResultCode code) => Inner(OperationType.SetOptions, (int)code);

    public static OperationResult Inner(ChangeTrustResultCode code) => Inner(OperationType.ChangeTrust, (int)code);

    public static OperationResult Inner(AccountMergeResultCode code) => Inner(OperationType.AccountMerge, (int)code);

    public static OperationResult Inner(ManageDataResultCode code) => Inner(OperationType.ManageData, (int)code);

    public static OperationResult Inner(BumpSequenceResultCode code) => Inner(OperationType.BumpSequence, (int)code);

    public static OperationResult AccountMergeSuccess(Stroops mergedBalance)
        => new(OperationResultCode.OpInner, OperationType.AccountMerge, 0, mergedBalance);

    private static void CheckModelled(OperationType type)
    {
        if (type is not (OperationType.CreateAccount or OperationType.Payment or OperationType.SetOptions
            or OperationType.ChangeTrust or OperationType.AccountMerge or OperationType.ManageData or OperationType.BumpSequence))
        {
            throw new ArgumentException($"operation {type} is not modelled", nameof(type));
        }
    }

    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt32((int)Code);
        if (Code != OperationResultCode.OpInner)
        {
            return;
        }

        w.WriteInt32((int)Type);
        w.WriteInt32(InnerCode);
        if (MergedBalance is { } balance)
        {
            w.WriteInt64(balance.Value);
        }
    }

    public static OperationResult ReadXdr(XdrReader r)
    {
        var code = r.ReadInt32();
        if (code != 0)
        {
            if (code is > 0 or < (int)OperationResultCode.OpTooManySponsoring)
            {
                throw new XdrFormatException($"unknown operation result code {code}");
            }

            return new OperationResult((OperationResultCode)code, default, 0, null);
        }

        var type = r.ReadInt32();
        var inner = r.ReadInt32();
        int min = type switch
        {
            (int)OperationType.CreateAccount => (int)CreateAccountResultCode.AlreadyExist,
            (int)OperationType.Payment => (int)PaymentResultCode.NoIssuer,
            (int)OperationType.SetOptions => (int)SetOptionsResultCode.AuthRevocableRequired,
            (int)OperationType.ChangeTrust => (int)ChangeTrustResultCode.NotAuthMaintainLiabilities,
            (int)OperationType.AccountMerge => (int)AccountMergeResultCode.IsSponsor,
            (int)OperationType.ManageData => (int)ManageDataResultCode.InvalidName,
            (int)OperationType.BumpSequence => (int)BumpSequenceResultCode.BadSeq,
            _ => throw new XdrUnsupportedException($"unsupported operation {type}"),
        };
        if (inner > 0 || inner < min)
        {
            throw new XdrFormatException($"unknown result code {inner} for operation {type}");
        }

        Stroops? balance = type == (int)OperationType.AccountMerge && inner == 0 ? new Stroops(r.ReadInt64()) : null;
        return new OperationResult(OperationResultCode.OpInner, (OperationType)type, inner, balance);
    }
}

/// <summary>The result of the inner transaction of a fee bump (XDR InnerTransactionResult).</summary>
public sealed record InnerTransactionResult : IXdrCodec<InnerTransactionResult>
{
    private readonly ImmutableArray<OperationResult> _results = [];

    public InnerTransactionResult(long feeCharged, TransactionResultCode code, ImmutableArray<OperationResult> results)
    {
        if (code is TransactionResultCode.TxFeeBumpInnerSuccess or TransactionResultCode.TxFeeBumpInnerFailed)
        {
            throw new ArgumentException("an inner transaction result cannot be a fee bump result", nameof(code));
        }

        FeeCharged = feeCharged;
        Code = code;
        _results = TransactionResult.CheckResults(code, results);
    }

    public long FeeCharged { get; }

    public TransactionResultCode Code { get; }

    public ImmutableArray<OperationResult> Results => _results;

    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt64(FeeCharged);
        w.WriteInt32((int)Code);
        if (Code is TransactionResultCode.TxSuccess or TransactionResultCode.TxFailed)
        {
            w.WriteArray(_results, int.MaxValue);
        }

        w.WriteInt32(0); // ext v0
    }

    public static InnerTransactionResult ReadXdr(XdrReader r)
    {
        var fee = r.ReadInt64();
        var code = TransactionResult.ReadCode(r);
        if (code is TransactionResultCode.TxFeeBumpInnerSuccess or TransactionResultCode.TxFeeBumpInnerFailed)
        {
            throw new XdrFormatException("an inner transaction result cannot be a fee bump result");
        }

        var results = code is TransactionResultCode.TxSuccess or TransactionResultCode.TxFailed
            ? r.ReadArray<OperationResult>(int.MaxValue)
            : [];
        TransactionResult.ReadExtV0(r);
        return new InnerTransactionResult(fee, code, results);
    }

    public bool Equals(InnerTransactionResult? other)
        => other is not null && FeeCharged == other.FeeCharged && Code == other.Code && Equality.Equal(_results, other._results);

    public override int GetHashCode() => HashCode.Combine(FeeCharged, Code, Equality.Hash(_results));
}

/// <summary>The inner transaction's hash and result (XDR InnerTransactionResultPair).</summary>
public sealed record InnerTransactionResultPair(TransactionHash TransactionHash, InnerTransactionResult Result) : IXdrCodec<InnerTransactionResultPair>
{
    public void WriteXdr(XdrWriter w)
    {
        TransactionHash.Value.WriteXdr(w);
        Result.WriteXdr(w);
    }

    public static InnerTransactionResultPair ReadXdr(XdrReader r)
    {
        var hash = new TransactionHash(r.Read<Hash256>());
        return new InnerTransactionResultPair(hash, r.Read<InnerTransactionResult>());
    }
}

/// <summary>
/// A transaction result (XDR TransactionResult). Results are present for txSUCCESS/txFAILED; Inner for
/// txFEE_BUMP_INNER_SUCCESS/FAILED.
/// </summary>
public sealed record TransactionResult : IXdrCodec<TransactionResult>
{
    private readonly ImmutableArray<OperationResult> _results = [];

    public TransactionResult(long feeCharged, TransactionResultCode code, ImmutableArray<OperationResult> results, InnerTransactionResultPair? inner = null)
    {
        var isFeeBump = code is TransactionResultCode.TxFeeBumpInnerSuccess or TransactionResultCode.TxFeeBumpInnerFailed;
        if (isFeeBump != inner is not null)
        {
            throw new ArgumentException("an inner result pair is required for, and only for, fee bump result codes", nameof(inner));
        }

        FeeCharged = feeCharged;
        Code = code;
        _results = CheckResults(code, results);
        Inner = inner;
    }

    public long FeeCharged { get; }

    public TransactionResultCode Code { get; }

    public ImmutableArray<OperationResult> Results => _results;

    public InnerTransactionResultPair? Inner { get; }

    /// <summary>Whether the transaction (or a fee bump's inner transaction) succeeded.</summary>
    public bool IsSuccess => Code is TransactionResultCode.TxSuccess or TransactionResultCode.TxFeeBumpInnerSuccess;

    internal static ImmutableArray<OperationResult> CheckResults(TransactionResultCode code, ImmutableArray<OperationResult> results)
    {
        var r = results.IsDefault ? [] : results;
        if (r.Length != 0 && code is not (TransactionResultCode.TxSuccess or TransactionResultCode.TxFailed))
        {
            throw new ArgumentException($"{code} carries no operation results", nameof(results));
        }

        return r;
    }

    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt64(FeeCharged);
        w.WriteInt32((int)Code);
        if (Inner is not null)
        {
            Inner.WriteXdr(w);
        }
        else if (Code is TransactionResultCode.TxSuccess or TransactionResultCode.TxFailed)
        {
            w.WriteArray(_results, int.MaxValue);
        }

        w.WriteInt32(0); // ext v0
    }

    public static TransactionResult ReadXdr(XdrReader r)
    {
        var fee = r.ReadInt64();
        var code = ReadCode(r);
        InnerTransactionResultPair? inner = null;
        var results = ImmutableArray<OperationResult>.Empty;
        if (code is TransactionResultCode.TxFeeBumpInnerSuccess or TransactionResultCode.TxFeeBumpInnerFailed)
        {
            inner = r.Read<InnerTransactionResultPair>();
        }
        else if (code is TransactionResultCode.TxSuccess or TransactionResultCode.TxFailed)
        {
            results = r.ReadArray<OperationResult>(int.MaxValue);
        }

        ReadExtV0(r);
        return new TransactionResult(fee, code, results, inner);
    }

    internal static TransactionResultCode ReadCode(XdrReader r)
    {
        var code = r.ReadInt32();
        if (code > (int)TransactionResultCode.TxFeeBumpInnerSuccess || code < (int)TransactionResultCode.TxFrozenKeyAccessed)
        {
            throw new XdrFormatException($"unknown transaction result code {code}");
        }

        return (TransactionResultCode)code;
    }

    internal static void ReadExtV0(XdrReader r)
    {
        var ext = r.ReadInt32();
        if (ext != 0)
        {
            throw new XdrFormatException($"unknown result ext {ext}");
        }
    }

    public bool Equals(TransactionResult? other)
        => other is not null && FeeCharged == other.FeeCharged && Code == other.Code && Inner == other.Inner && Equality.Equal(_results, other._results);

    public override int GetHashCode() => HashCode.Combine(FeeCharged, Code, Inner, Equality.Hash(_results));
}
