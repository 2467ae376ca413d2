using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Engine;

/// <summary>
/// The operations channels use, validated (doCheckValid) and applied (doApply) as stellar-core
/// does at protocol 19+; every failure code below is the one core returns in the same situation.
/// </summary>
internal static class Operations
{
    public const int MaxSigners = 20;
    public const uint MaxSubEntries = 1000;

    /// <summary>Whether the engine applies this operation type; others are refused at submission.</summary>
    public static bool IsModelled(Operation op) => op is CreateAccountOperation or PaymentOperation or SetOptionsOperation
        or ChangeTrustOperation or AccountMergeOperation or ManageDataOperation or BumpSequenceOperation;

    /// <summary>The threshold an operation needs from its source account (OperationFrame::getThresholdLevel).</summary>
    public static byte NeededThreshold(Operation op, AccountState source) => op switch
    {
        BumpSequenceOperation => source.Thresholds.Low,
        AccountMergeOperation => source.Thresholds.High,
        SetOptionsOperation so when so.MasterWeight is not null || so.LowThreshold is not null || so.MedThreshold is not null
            || so.HighThreshold is not null || so.Signer is not null => source.Thresholds.High,
        _ => source.Thresholds.Medium,
    };

    /// <summary>Checks that depend on the operation alone (doCheckValid); success when it may apply.</summary>
    public static OperationResult CheckValid(Operation op, AccountId source)
    {
        var type = op.Type;
        var code = op switch
        {
            CreateAccountOperation ca => ca.StartingBalance.Value < 0 || ca.Destination == source ? (int)CreateAccountResultCode.Malformed : 0,
            PaymentOperation p => p.Amount.Value <= 0 ? (int)PaymentResultCode.Malformed : 0,
            SetOptionsOperation so => CheckSetOptions(so, source),
            ChangeTrustOperation ct => ct.Limit < 0 || ct.Line is NativeAsset || IssuerOf(ct.Line) == source ? (int)ChangeTrustResultCode.Malformed : 0,
            AccountMergeOperation am => am.Destination.Account == source ? (int)AccountMergeResultCode.Malformed : 0,
            ManageDataOperation md => md.Name.Length == 0 || !IsValidString(md.Name) ? (int)ManageDataResultCode.InvalidName : 0,
            BumpSequenceOperation bs => bs.BumpTo.Value < 0 ? (int)BumpSequenceResultCode.BadSeq : 0,
            _ => 0,
        };
        return InnerResult(type, code);
    }

    /// <summary>An opINNER result with a per-type code; a merge's success (here a placeholder) carries a zero balance.</summary>
    public static OperationResult InnerResult(OperationType type, int code) =>
        type == OperationType.AccountMerge && code == 0
            ? OperationResult.AccountMergeSuccess(new Stroops(0))
            : OperationResult.Inner(type, code);

    public static OperationResult Apply(LedgerView view, LedgerContext ctx, Operation op, AccountId source) => op switch
    {
        CreateAccountOperation ca => CreateAccount(view, ctx, ca, source),
        PaymentOperation p => Payment(view, ctx, p, source),
        SetOptionsOperation so => SetOptions(view, ctx, so, source),
        ChangeTrustOperation ct => ChangeTrust(view, ctx, ct, source),
        AccountMergeOperation am => AccountMerge(view, ctx, am, source),
        ManageDataOperation md => ManageData(view, ctx, md, source),
        BumpSequenceOperation bs => BumpSequence(view, ctx, bs, source),
        _ => throw new NotSupportedException($"operation {op.Type} is not modelled by the standalone network"),
    };

    private static int CheckSetOptions(SetOptionsOperation so, AccountId source)
    {
        if ((so.SetFlags is { } s && (s & ~AccountState.AllFlags) != 0) || (so.ClearFlags is { } c && (c & ~AccountState.AllFlags) != 0))
        {
            return (int)SetOptionsResultCode.UnknownFlag;
        }

        if (so.SetFlags is { } set && so.ClearFlags is { } clear && (set & clear) != 0)
        {
            return (int)SetOptionsResultCode.BadFlags;
        }

        if (so.MasterWeight > 255 || so.LowThreshold > 255 || so.MedThreshold > 255 || so.HighThreshold > 255)
        {
            return (int)SetOptionsResultCode.ThresholdOutOfRange;
        }

        if (so.Signer is { } signer)
        {
            var isSelf = signer.Key is Ed25519SignerKey ed && ed.Key == source;
            var emptyPayload = signer.Key is SignedPayloadSignerKey sp && sp.PayloadSpan.IsEmpty;
            if (isSelf || signer.Weight > 255 || emptyPayload)
            {
                return (int)SetOptionsResultCode.BadSigner;
            }
        }

        if (so.HomeDomain is { } domain && !IsValidString(domain))
        {
            return (int)SetOptionsResultCode.InvalidHomeDomain;
        }

        return 0;
    }

    private static OperationResult CreateAccount(LedgerView view, LedgerContext ctx, CreateAccountOperation op, AccountId sourceId)
    {
        const OperationType type = OperationType.CreateAccount;
        if (view.Account(op.Destination) is not null)
        {
            return OperationResult.Inner(CreateAccountResultCode.AlreadyExist);
        }

        var starting = op.StartingBalance.Value;
        if (starting < 2 * ctx.BaseReserve)
        {
            return OperationResult.Inner(CreateAccountResultCode.LowReserve);
        }

        var source = view.Account(sourceId)!;
        if (source.AvailableBalance(ctx.BaseReserve) < starting)
        {
            return OperationResult.Inner(CreateAccountResultCode.Underfunded);
        }

        view.Put(source with { Balance = source.Balance - starting, LastModifiedLedger = ctx.LedgerSeq });
        view.Put(AccountState.Create(op.Destination, starting, (long)ctx.LedgerSeq << 32, ctx.LedgerSeq));
        return OperationResult.Inner(type, 0);
    }

    private static OperationResult Payment(LedgerView view, LedgerContext ctx, PaymentOperation op, AccountId sourceId)
    {
        const OperationType type = OperationType.Payment;
        var destId = op.Destination.Account;
        if (destId == sourceId && op.Asset is NativeAsset)
        {
            return OperationResult.Inner(type, 0);
        }

        var amount = op.Amount.Value;
        var issuer = IssuerOf(op.Asset);
        // A payment of a credit asset to its issuer burns it: core skips the destination lookup then.
        var toIssuer = issuer is not null && issuer == destId;
        if (!toIssuer && view.Account(destId) is null)
        {
            return OperationResult.Inner(PaymentResultCode.NoDestination);
        }

        // Credit the destination first, then debit the source, as PathPaymentStrictReceive does.
        if (op.Asset is NativeAsset)
        {
            var dest = view.Account(destId)!;
            if (dest.Balance > long.MaxValue - amount)
            {
                return OperationResult.Inner(PaymentResultCode.LineFull);
            }

            view.Put(dest with { Balance = dest.Balance + amount, LastModifiedLedger = ctx.LedgerSeq });
            var source = view.Account(sourceId)!;
            if (source.AvailableBalance(ctx.BaseReserve) < amount)
            {
                return OperationResult.Inner(PaymentResultCode.Underfunded);
            }

            view.Put(source with { Balance = source.Balance - amount, LastModifiedLedger = ctx.LedgerSeq });
            return OperationResult.Inner(type, 0);
        }

        if (!toIssuer)
        {
            var line = view.TrustLine(destId, op.Asset);
            if (line is null)
            {
                return OperationResult.Inner(PaymentResultCode.NoTrust);
            }

            if (!line.IsAuthorized)
            {
                return OperationResult.Inner(PaymentResultCode.NotAuthorized);
            }

            if (line.Balance > line.Limit - amount)
            {
                return OperationResult.Inner(PaymentResultCode.LineFull);
            }

            view.Put(line with { Balance = line.Balance + amount, LastModifiedLedger = ctx.LedgerSeq });
        }

        if (issuer != sourceId)
        {
            var srcLine = view.TrustLine(sourceId, op.Asset);
            if (srcLine is null)
            {
                return OperationResult.Inner(PaymentResultCode.SrcNoTrust);
            }

            if (!srcLine.IsAuthorized)
            {
                return OperationResult.Inner(PaymentResultCode.SrcNotAuthorized);
            }

            if (srcLine.Balance < amount)
            {
                return OperationResult.Inner(PaymentResultCode.Underfunded);
            }

            view.Put(srcLine with { Balance = srcLine.Balance - amount, LastModifiedLedger = ctx.LedgerSeq });
        }

        return OperationResult.Inner(type, 0);
    }

    private static OperationResult SetOptions(LedgerView view, LedgerContext ctx, SetOptionsOperation op, AccountId sourceId)
    {
        const OperationType type = OperationType.SetOptions;
        var account = view.Account(sourceId)!;
        if (op.InflationDest is { } inflationDest)
        {
            if (inflationDest != sourceId && view.Account(inflationDest) is null)
            {
                return OperationResult.Inner(SetOptionsResultCode.InvalidInflation);
            }

            account = account with { InflationDest = inflationDest };
        }

        var immutable = (account.Flags & AccountState.AuthImmutableFlag) != 0;
        if (op.ClearFlags is { } clear)
        {
            if (immutable && (clear & AccountState.AllFlags) != 0)
            {
                return OperationResult.Inner(SetOptionsResultCode.CantChange);
            }

            account = account with { Flags = account.Flags & ~clear };
        }

        if (op.SetFlags is { } set)
        {
            if (immutable && (set & AccountState.AllFlags) != 0)
            {
                return OperationResult.Inner(SetOptionsResultCode.CantChange);
            }

            account = account with { Flags = account.Flags | set };
        }

        if ((account.Flags & AccountState.AuthClawbackEnabledFlag) != 0 && (account.Flags & AccountState.AuthRevocableFlag) == 0)
        {
            return OperationResult.Inner(SetOptionsResultCode.AuthRevocableRequired);
        }

        if (op.HomeDomain is { } domain)
        {
            account = account with { HomeDomain = domain };
        }

        var t = account.Thresholds;
        account = account with
        {
            Thresholds = new Thresholds(
                (byte)(op.MasterWeight ?? t.Master), (byte)(op.LowThreshold ?? t.Low),
                (byte)(op.MedThreshold ?? t.Medium), (byte)(op.HighThreshold ?? t.High)),
        };

        if (op.Signer is { } signer)
        {
            var index = IndexOfSigner(account.Signers, signer.Key);
            if (signer.Weight > 0 && index >= 0)
            {
                account = account with { Signers = account.Signers.SetItem(index, signer) };
            }
            else if (signer.Weight > 0)
            {
                if (account.Signers.Length >= MaxSigners)
                {
                    return OperationResult.Inner(SetOptionsResultCode.TooManySigners);
                }

                if (account.NumSubEntries >= MaxSubEntries)
                {
                    return OperationResult.Outer(OperationResultCode.OpTooManySubentries);
                }

                if (account.AvailableBalance(ctx.BaseReserve) < ctx.BaseReserve)
                {
                    return OperationResult.Inner(SetOptionsResultCode.LowReserve);
                }

                account = account with
                {
                    Signers = InsertSorted(account.Signers, signer),
                    NumSubEntries = account.NumSubEntries + 1,
                };
            }
            else if (index >= 0)
            {
                account = account with { Signers = account.Signers.RemoveAt(index), NumSubEntries = account.NumSubEntries - 1 };
            }
        }

        view.Put(account with { LastModifiedLedger = ctx.LedgerSeq });
        return OperationResult.Inner(type, 0);
    }

    private static OperationResult ChangeTrust(LedgerView view, LedgerContext ctx, ChangeTrustOperation op, AccountId sourceId)
    {
        const OperationType type = OperationType.ChangeTrust;
        var line = view.TrustLine(sourceId, op.Line);
        var account = view.Account(sourceId)!;
        if (line is not null)
        {
            if (op.Limit < line.Balance)
            {
                return OperationResult.Inner(ChangeTrustResultCode.InvalidLimit);
            }

            if (op.Limit == 0)
            {
                view.RemoveTrustLine(sourceId, op.Line);
                view.Put(account with { NumSubEntries = account.NumSubEntries - 1, LastModifiedLedger = ctx.LedgerSeq });
            }
            else
            {
                view.Put(line with { Limit = op.Limit, LastModifiedLedger = ctx.LedgerSeq });
            }

            return OperationResult.Inner(type, 0);
        }

        if (op.Limit == 0)
        {
            return OperationResult.Inner(ChangeTrustResultCode.InvalidLimit);
        }

        var issuer = view.Account(IssuerOf(op.Line)!.Value);
        if (issuer is null)
        {
            return OperationResult.Inner(ChangeTrustResultCode.NoIssuer);
        }

        if (account.NumSubEntries >= MaxSubEntries)
        {
            return OperationResult.Outer(OperationResultCode.OpTooManySubentries);
        }

        if (account.AvailableBalance(ctx.BaseReserve) < ctx.BaseReserve)
        {
            return OperationResult.Inner(ChangeTrustResultCode.LowReserve);
        }

        var authorized = (issuer.Flags & AccountState.AuthRequiredFlag) == 0 ? TrustLineState.AuthorizedFlag : 0u;
        view.Put(new TrustLineState(sourceId, op.Line, 0, op.Limit, authorized, ctx.LedgerSeq));
        view.Put(account with { NumSubEntries = account.NumSubEntries + 1, LastModifiedLedger = ctx.LedgerSeq });
        return OperationResult.Inner(type, 0);
    }

    private static OperationResult AccountMerge(LedgerView view, LedgerContext ctx, AccountMergeOperation op, AccountId sourceId)
    {
        var dest = view.Account(op.Destination.Account);
        if (dest is null)
        {
            return OperationResult.Inner(AccountMergeResultCode.NoAccount);
        }

        var source = view.Account(sourceId)!;
        if ((source.Flags & AccountState.AuthImmutableFlag) != 0)
        {
            return OperationResult.Inner(AccountMergeResultCode.ImmutableSet);
        }

        if (source.NumSubEntries != source.Signers.Length)
        {
            return OperationResult.Inner(AccountMergeResultCode.HasSubEntries);
        }

        // An account must not be re-creatable with a sequence number it has already used.
        if (source.SeqNum >= (long)ctx.LedgerSeq << 32)
        {
            return OperationResult.Inner(AccountMergeResultCode.SeqnumTooFar);
        }

        if (dest.Balance > long.MaxValue - source.Balance)
        {
            return OperationResult.Inner(AccountMergeResultCode.DestFull);
        }

        view.Put(dest with { Balance = dest.Balance + source.Balance, LastModifiedLedger = ctx.LedgerSeq });
        view.RemoveAccount(sourceId);
        return OperationResult.AccountMergeSuccess(new Stroops(source.Balance));
    }

    private static OperationResult ManageData(LedgerView view, LedgerContext ctx, ManageDataOperation op, AccountId sourceId)
    {
        const OperationType type = OperationType.ManageData;
        var account = view.Account(sourceId)!;
        var exists = account.Data.ContainsKey(op.Name);
        if (op.Value is null)
        {
            if (!exists)
            {
                return OperationResult.Inner(ManageDataResultCode.NameNotFound);
            }

            view.Put(account with { Data = account.Data.Remove(op.Name), NumSubEntries = account.NumSubEntries - 1, LastModifiedLedger = ctx.LedgerSeq });
            return OperationResult.Inner(type, 0);
        }

        if (exists)
        {
            view.Put(account with { Data = account.Data.SetItem(op.Name, op.Value), LastModifiedLedger = ctx.LedgerSeq });
            return OperationResult.Inner(type, 0);
        }

        if (account.NumSubEntries >= MaxSubEntries)
        {
            return OperationResult.Outer(OperationResultCode.OpTooManySubentries);
        }

        if (account.AvailableBalance(ctx.BaseReserve) < ctx.BaseReserve)
        {
            return OperationResult.Inner(ManageDataResultCode.LowReserve);
        }

        view.Put(account with { Data = account.Data.Add(op.Name, op.Value), NumSubEntries = account.NumSubEntries + 1, LastModifiedLedger = ctx.LedgerSeq });
        return OperationResult.Inner(type, 0);
    }

    private static OperationResult BumpSequence(LedgerView view, LedgerContext ctx, BumpSequenceOperation op, AccountId sourceId)
    {
        var account = view.Account(sourceId)!;
        // Since protocol 19 the bump records seqLedger/seqTime even when it leaves the number unchanged.
        account = account with { SeqLedger = ctx.LedgerSeq, SeqTime = ctx.CloseTime, LastModifiedLedger = ctx.LedgerSeq };
        if (op.BumpTo.Value > account.SeqNum)
        {
            account = account with { SeqNum = op.BumpTo.Value };
        }

        view.Put(account);
        return OperationResult.Inner(BumpSequenceResultCode.Success);
    }

    private static int IndexOfSigner(ImmutableArray<Signer> signers, SignerKey key)
    {
        for (var i = 0; i < signers.Length; i++)
        {
            if (signers[i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }

    private static AccountId? IssuerOf(Asset asset) => asset switch
    {
        CreditAlphanum4Asset a4 => a4.Issuer,
        CreditAlphanum12Asset a12 => a12.Issuer,
        _ => null,
    };

    /// <summary>core's isStringValid: no control characters, nothing outside ASCII.</summary>
    private static bool IsValidString(string s) => s.All(c => c is > '\u001f' and < '\u007f');

    /// <summary>Signers stay sorted by their XDR key (type, then bytes), as core stores them.</summary>
    private static ImmutableArray<Signer> InsertSorted(ImmutableArray<Signer> signers, Signer signer)
    {
        var key = Stellar.Xdr.XdrCodec.Encode(signer.Key);
        var at = 0;
        while (at < signers.Length && Stellar.Xdr.XdrCodec.Encode(signers[at].Key).AsSpan().SequenceCompareTo(key) < 0)
        {
            at++;
        }

        return signers.Insert(at, signer);
    }
}
