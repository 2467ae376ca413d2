using System.Collections.Immutable;
using Watchtower.Stellar.Xdr;
using Xunit;

namespace Watchtower.Stellar.Tests;

/// <summary>Every XDR type: encode → decode gives an equal value, and re-encoding gives the same bytes.</summary>
public class RoundTripTests
{
    private static readonly AccountId A = VectorFile.Key(1).AccountId;
    private static readonly AccountId B = VectorFile.Key(2).AccountId;
    private static readonly Hash256 H = Hash256.Sha256("h"u8);

    private static void AssertRoundTrip<T>(T value) where T : IXdrCodec<T>
    {
        var bytes = XdrCodec.Encode(value);
        Assert.Equal(0, bytes.Length % 4);
        var decoded = XdrCodec.Decode<T>(bytes);
        Assert.Equal(value, decoded);
        Assert.Equal(bytes, XdrCodec.Encode(decoded));
        Assert.Equal(value, XdrCodec.FromBase64<T>(XdrCodec.ToBase64(value)));
    }

    [Fact]
    public void Primitives()
    {
        AssertRoundTrip(H);
        AssertRoundTrip(A);
        AssertRoundTrip(new SignatureHint(0xdeadbeef));
        AssertRoundTrip(new TimeBounds(1, ulong.MaxValue));
        AssertRoundTrip(new LedgerBounds(uint.MaxValue, 0));
        AssertRoundTrip(new Thresholds(255, 0, 1, 2));
        AssertRoundTrip(new Liabilities(new Stroops(long.MaxValue), new Stroops(0)));
        AssertRoundTrip(new SponsorshipDescriptor(null));
        AssertRoundTrip(new SponsorshipDescriptor(A));
    }

    [Fact]
    public void AccountsKeysAndSignatures()
    {
        AssertRoundTrip(new MuxedAccount(A));
        AssertRoundTrip(new MuxedAccount(A, 0));
        AssertRoundTrip(new MuxedAccount(A, ulong.MaxValue));
        foreach (SignerKey key in new SignerKey[] { new Ed25519SignerKey(A), new PreAuthTxSignerKey(H), new HashXSignerKey(H), new SignedPayloadSignerKey(A, []), new SignedPayloadSignerKey(A, new byte[64]) })
        {
            AssertRoundTrip(key);
            AssertRoundTrip(new Signer(key, 255));
        }

        AssertRoundTrip(new DecoratedSignature(new SignatureHint(1), []));
        AssertRoundTrip(new DecoratedSignature(new SignatureHint(1), new byte[64]));
        AssertRoundTrip(DecoratedSignature.ForHashX(new byte[5]));
    }

    [Fact]
    public void AssetsMemosAndPreconditions()
    {
        AssertRoundTrip(Asset.Native);
        AssertRoundTrip(Asset.Credit("A", B));
        AssertRoundTrip(Asset.Credit("ABCDEFGHIJKL", B));
        AssertRoundTrip(Memo.None);
        AssertRoundTrip<Memo>(new MemoText(""));
        AssertRoundTrip<Memo>(new MemoText("ümlaut and 28 bytes....."));
        AssertRoundTrip<Memo>(new MemoId(0));
        AssertRoundTrip<Memo>(new MemoHash(H));
        AssertRoundTrip<Memo>(new MemoReturn(H));
        AssertRoundTrip(Preconditions.None);
        AssertRoundTrip(Preconditions.FromTimeBounds(new TimeBounds(0, 0)));
        AssertRoundTrip(new Preconditions { MinSeqNum = new SequenceNumber(-1) });
        AssertRoundTrip(new Preconditions { TimeBounds = new TimeBounds(1, 2), LedgerBounds = new LedgerBounds(3, 4), MinSeqNum = new SequenceNumber(5), MinSeqAge = 6, MinSeqLedgerGap = 7, ExtraSigners = [new HashXSignerKey(H), new SignedPayloadSignerKey(B, [1])] });
    }

    private static readonly Operation[] AllOperations =
    [
        new CreateAccountOperation(B, new Stroops(1)),
        new PaymentOperation(new MuxedAccount(B, 7), Asset.Credit("USDC", A), new Stroops(long.MaxValue)),
        new SetOptionsOperation(),
        new SetOptionsOperation(B, 1, 2, 3, 4, 5, 6, "", new Signer(new SignedPayloadSignerKey(A, [1, 2, 3]), 1)),
        new ChangeTrustOperation(Asset.Native, 0),
        new ChangeTrustOperation(Asset.Credit("ABCDE", A), long.MaxValue) { SourceAccount = new MuxedAccount(B, 1) },
        new AccountMergeOperation(new MuxedAccount(B, 2)),
        new ManageDataOperation("", []),
        new ManageDataOperation(new string('n', 64), new byte[64]),
        new ManageDataOperation("del", null) { SourceAccount = A },
        new BumpSequenceOperation(new SequenceNumber(long.MinValue)),
    ];

    public static TheoryData<Operation> Operations() => new(AllOperations);

    [Theory]
    [MemberData(nameof(Operations))]
    public void EachOperation(Operation op) => AssertRoundTrip(op);

    [Fact]
    public void TransactionsEnvelopesAndPayloads()
    {
        var ops = AllOperations.ToImmutableArray();
        var tx = new Transaction(new MuxedAccount(A, 3), uint.MaxValue, new SequenceNumber(long.MaxValue), new Preconditions { MinSeqAge = 1 }, new MemoText("x"), ops);
        AssertRoundTrip(tx);
        var v1 = tx.ToEnvelope().AddSignature(new DecoratedSignature(new SignatureHint(2), new byte[64]));
        AssertRoundTrip<TransactionEnvelope>(v1);
        var plain = tx with { Source = A, Preconditions = Preconditions.FromTimeBounds(new TimeBounds(1, 0)) };
        AssertRoundTrip<TransactionEnvelope>(new TransactionV0Envelope(plain, []));
        var feeBump = FeeBumpTransaction.Wrap(v1, new MuxedAccount(B, 9), long.MaxValue);
        AssertRoundTrip(feeBump);
        AssertRoundTrip<TransactionEnvelope>(feeBump.ToEnvelope().AddSignature(new DecoratedSignature(new SignatureHint(3), [1])));
        AssertRoundTrip(TransactionSignaturePayload.ForTransaction(Network.Testnet, tx));
        AssertRoundTrip(TransactionSignaturePayload.ForFeeBump(Network.Public, feeBump));
        var twenty = v1 with { Signatures = [.. Enumerable.Repeat(v1.Signatures[0], 20)] };
        AssertRoundTrip<TransactionEnvelope>(twenty);
        Assert.Throws<ArgumentException>(() => twenty.AddSignature(v1.Signatures[0]));
    }

    [Fact]
    public void ResultsAndLedgerEntries()
    {
        AssertRoundTrip(OperationResult.Outer(OperationResultCode.OpNoAccount));
        AssertRoundTrip(OperationResult.Inner(CreateAccountResultCode.LowReserve));
        AssertRoundTrip(OperationResult.AccountMergeSuccess(new Stroops(0)));
        var inner = new InnerTransactionResult(5, TransactionResultCode.TxFailed, [OperationResult.Inner(PaymentResultCode.NoTrust)]);
        AssertRoundTrip(inner);
        var pair = new InnerTransactionResultPair(new TransactionHash(H), inner);
        AssertRoundTrip(pair);
        AssertRoundTrip(new TransactionResult(10, TransactionResultCode.TxFeeBumpInnerFailed, [], pair));
        AssertRoundTrip(new TransactionResult(10, TransactionResultCode.TxSuccess, []));
        AssertRoundTrip(new TransactionResult(-1, TransactionResultCode.TxFrozenKeyAccessed, []));
        var entry = new AccountEntry { AccountId = A, HomeDomain = "x", InflationDest = B, Signers = [new Signer(new Ed25519SignerKey(B), 1)] };
        AssertRoundTrip(entry);
        AssertRoundTrip(entry with { V1 = new AccountEntryExtensionV1(new Liabilities(new Stroops(1), new Stroops(2)), null) });
        AssertRoundTrip(new AccountEntryExtensionV3(1, 2));
        AssertRoundTrip(new AccountEntryExtensionV2(1, 2, [], null));
        AssertRoundTrip(LedgerKey.Account(A));
        AssertRoundTrip(new LedgerEntryExtensionV1(null));
        AssertRoundTrip(new LedgerEntry(1, entry));
        AssertRoundTrip(new LedgerEntry(1, entry, new LedgerEntryExtensionV1(null)));
    }
}
