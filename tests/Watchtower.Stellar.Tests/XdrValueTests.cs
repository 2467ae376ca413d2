using System.Collections.Immutable;
using Watchtower.Stellar.Xdr;
using Xunit;

namespace Watchtower.Stellar.Tests;

/// <summary>Results and ledger entries encoded by the JS SDK's XDR types (Vectors/xdr-values.txt).</summary>
public class XdrValueTests
{
    public static TheoryData<string[]> Values => VectorFile.Theory("xdr-values.txt");

    private static string Xdr(string type, string name) => VectorFile.Rows("xdr-values.txt").Single(r => r[0] == type && r[1] == name)[2];

    private static object Decode(string type, string base64) => type switch
    {
        "TransactionResult" => XdrCodec.FromBase64<TransactionResult>(base64),
        "AccountEntry" => XdrCodec.FromBase64<AccountEntry>(base64),
        "LedgerEntry" => XdrCodec.FromBase64<LedgerEntry>(base64),
        "LedgerKey" => XdrCodec.FromBase64<LedgerKey>(base64),
        _ => throw new ArgumentException(type, nameof(type)),
    };

    private static string Encode(object value) => value switch
    {
        TransactionResult v => XdrCodec.ToBase64(v),
        AccountEntry v => XdrCodec.ToBase64(v),
        LedgerEntry v => XdrCodec.ToBase64(v),
        LedgerKey v => XdrCodec.ToBase64(v),
        _ => throw new ArgumentException("unexpected type", nameof(value)),
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Vector_RoundTripsByteExactly_OrIsReportedUnsupported(string[] row)
    {
        if (row[1].StartsWith("unsupported", StringComparison.Ordinal))
        {
            var e = Assert.Throws<XdrUnsupportedException>(() => Decode(row[0], row[2]));
            Assert.Equal("unsupported operation 9", e.Message);
            return;
        }

        var value = Decode(row[0], row[2]);
        Assert.Equal(row[2], Encode(value));
        Assert.Equal(value, Decode(row[0], Encode(value)));
    }

    [Fact]
    public void SuccessResult_CarriesEachModelledOperationsCode()
    {
        var r = XdrCodec.FromBase64<TransactionResult>(Xdr("TransactionResult", "success-all-modelled-ops"));
        Assert.Equal(TransactionResultCode.TxSuccess, r.Code);
        Assert.Equal(700, r.FeeCharged);
        Assert.True(r.IsSuccess);
        Assert.All(r.Results, o => Assert.True(o.IsSuccess));
        Assert.Equal(
            [OperationType.CreateAccount, OperationType.Payment, OperationType.SetOptions, OperationType.ChangeTrust, OperationType.AccountMerge, OperationType.ManageData, OperationType.BumpSequence],
            r.Results.Select(o => o.Type).ToArray());
        Assert.Equal(new Stroops(123456789), r.Results[4].MergedBalance);
    }

    [Fact]
    public void FailedResult_KeepsOuterAndInnerCodes()
    {
        var r = XdrCodec.FromBase64<TransactionResult>(Xdr("TransactionResult", "failed-mixed"));
        Assert.Equal(TransactionResultCode.TxFailed, r.Code);
        Assert.Equal(OperationResult.Inner(PaymentResultCode.Underfunded), r.Results[0]);
        Assert.Equal(OperationResult.Outer(OperationResultCode.OpBadAuth), r.Results[1]);
        Assert.Equal(OperationResult.Inner(AccountMergeResultCode.HasSubEntries), r.Results[2]);
        Assert.Equal(OperationResult.Inner(BumpSequenceResultCode.BadSeq), r.Results[3]);
    }

    [Fact]
    public void FeeBumpResults_CarryTheInnerPair()
    {
        var ok = XdrCodec.FromBase64<TransactionResult>(Xdr("TransactionResult", "fee-bump-inner-success"));
        Assert.Equal(TransactionResultCode.TxFeeBumpInnerSuccess, ok.Code);
        Assert.True(ok.IsSuccess);
        Assert.Equal(string.Concat(Enumerable.Repeat("ab", 32)), ok.Inner!.TransactionHash.ToString());
        Assert.Equal(TransactionResultCode.TxSuccess, ok.Inner.Result.Code);
        Assert.Equal(200, ok.Inner.Result.FeeCharged);

        var failed = XdrCodec.FromBase64<TransactionResult>(Xdr("TransactionResult", "fee-bump-inner-failed"));
        Assert.Equal(TransactionResultCode.TxFeeBumpInnerFailed, failed.Code);
        Assert.Equal(OperationResult.Inner(CreateAccountResultCode.AlreadyExist), failed.Inner!.Result.Results[0]);

        var badSeq = XdrCodec.FromBase64<TransactionResult>(Xdr("TransactionResult", "fee-bump-inner-bad-seq"));
        Assert.Equal(TransactionResultCode.TxBadSeq, badSeq.Inner!.Result.Code);
        Assert.Empty(badSeq.Inner.Result.Results);
    }

    [Fact]
    public void VoidResults_HaveNoOperationResults()
    {
        var r = XdrCodec.FromBase64<TransactionResult>(Xdr("TransactionResult", "bad-auth-extra"));
        Assert.Equal(TransactionResultCode.TxBadAuthExtra, r.Code);
        Assert.Empty(r.Results);
        Assert.Null(r.Inner);
    }

    [Fact]
    public void ResultConstructors_RejectInconsistentShapes()
    {
        var pair = new InnerTransactionResultPair(new TransactionHash(new byte[32]), new InnerTransactionResult(0, TransactionResultCode.TxBadSeq, []));
        Assert.Throws<ArgumentException>(() => new TransactionResult(0, TransactionResultCode.TxSuccess, [], pair));
        Assert.Throws<ArgumentException>(() => new TransactionResult(0, TransactionResultCode.TxFeeBumpInnerSuccess, []));
        Assert.Throws<ArgumentException>(() => new TransactionResult(0, TransactionResultCode.TxBadSeq, [OperationResult.Inner(PaymentResultCode.Success)]));
        Assert.Throws<ArgumentException>(() => new InnerTransactionResult(0, TransactionResultCode.TxFeeBumpInnerFailed, []));
        Assert.Throws<ArgumentException>(() => OperationResult.Inner(OperationType.Inflation, 0));
        Assert.Throws<ArgumentException>(() => OperationResult.Inner(AccountMergeResultCode.Success));
    }

    [Fact]
    public void ResultsBuiltInCode_RoundTrip()
    {
        var r = new TransactionResult(300, TransactionResultCode.TxFailed,
        [
            OperationResult.AccountMergeSuccess(new Stroops(5)),
            OperationResult.Inner(SetOptionsResultCode.TooManySigners),
            OperationResult.Inner(ChangeTrustResultCode.InvalidLimit),
            OperationResult.Inner(ManageDataResultCode.NameNotFound),
            OperationResult.Outer(OperationResultCode.OpTooManySponsoring),
        ]);
        Assert.Equal(r, XdrCodec.Decode<TransactionResult>(XdrCodec.Encode(r)));
    }

    [Fact]
    public void UnknownResultCodes_AreFormatErrors()
    {
        var w = new XdrWriter();
        w.WriteInt64(0);
        w.WriteInt32(-19);
        w.WriteInt32(0);
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionResult>(w.ToArray()));

        w.Reset();
        w.WriteInt64(0);
        w.WriteInt32(0);
        w.WriteUInt32(1);
        w.WriteInt32(0);
        w.WriteInt32((int)OperationType.Payment);
        w.WriteInt32(-10);
        w.WriteInt32(0);
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionResult>(w.ToArray()));
    }

    [Fact]
    public void AccountEntryV3_ExposesSequenceLedgerAndTimeAndSponsorship()
    {
        var a = XdrCodec.FromBase64<AccountEntry>(Xdr("AccountEntry", "v3"));
        Assert.Equal(VectorFile.Key(1).AccountId, a.AccountId);
        Assert.Equal(new Stroops(100_000_000_000), a.Balance);
        Assert.Equal(new SequenceNumber(4294967301), a.SeqNum);
        Assert.Equal(2U, a.NumSubEntries);
        Assert.Equal(VectorFile.Key(2).AccountId, a.InflationDest);
        Assert.Equal(3U, a.Flags);
        Assert.Equal("stellar.org", a.HomeDomain);
        Assert.Equal(new Thresholds(1, 2, 3, 4), a.Thresholds);
        Assert.Equal(new Signer(new Ed25519SignerKey(VectorFile.Key(2).AccountId), 5), a.Signers[0]);
        Assert.IsType<PreAuthTxSignerKey>(a.Signers[1].Key);
        Assert.Equal(new Liabilities(new Stroops(5), new Stroops(6)), a.Liabilities);
        Assert.Equal((1U, 2U), (a.NumSponsored, a.NumSponsoring));
        Assert.Equal(new SponsorshipDescriptor(VectorFile.Key(3).AccountId), a.V1!.V2!.SignerSponsoringIds[0]);
        Assert.Null(a.V1.V2.SignerSponsoringIds[1].Sponsor);
        Assert.Equal(77U, a.SeqLedger);
        Assert.Equal(1700000123UL, a.SeqTime);

        var v0 = XdrCodec.FromBase64<AccountEntry>(Xdr("AccountEntry", "v0"));
        Assert.Null(v0.V1);
        Assert.Equal(0U, v0.SeqLedger);
    }

    [Fact]
    public void LedgerEntryAndKey_ForAccounts()
    {
        var e = XdrCodec.FromBase64<LedgerEntry>(Xdr("LedgerEntry", "account-v3-sponsored"));
        Assert.Equal(77U, e.LastModifiedLedgerSeq);
        Assert.Equal(VectorFile.Key(3).AccountId, e.V1!.SponsoringId);
        Assert.Equal(LedgerKey.Account(VectorFile.Key(1).AccountId), e.Key);
        Assert.Equal(Xdr("LedgerKey", "account"), XdrCodec.ToBase64(e.Key));

        var trustlineKey = new XdrWriter();
        trustlineKey.WriteInt32((int)LedgerEntryType.Trustline);
        Assert.Throws<XdrUnsupportedException>(() => XdrCodec.Decode<LedgerKey>(trustlineKey.ToArray()));
    }

    [Fact]
    public void AccountEntryBuiltInCode_RoundTrips()
    {
        var entry = new AccountEntry
        {
            AccountId = VectorFile.Key(1).AccountId,
            Balance = new Stroops(1),
            SeqNum = SequenceNumber.FromLedger(3),
            Signers = [new Signer(new HashXSignerKey(Hash256.Sha256("x"u8)), 1)],
            V1 = new AccountEntryExtensionV1(default, new AccountEntryExtensionV2(0, 0, [new SponsorshipDescriptor(null)], new AccountEntryExtensionV3(3, 4))),
        };
        Assert.Equal(entry, XdrCodec.Decode<AccountEntry>(XdrCodec.Encode(entry)));
        Assert.Throws<ArgumentException>(() => entry with { Signers = [.. Enumerable.Repeat(entry.Signers[0], 21)] });
        Assert.Throws<ArgumentException>(() => entry with { HomeDomain = new string('a', 33) });
    }
}
