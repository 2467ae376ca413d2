using Watchtower.Stellar.Xdr;
using Xunit;

namespace Watchtower.Stellar.Tests;

public class XdrLimitTests
{
    private static readonly AccountId Source = VectorFile.Key(1).AccountId;

    private static Transaction SimpleTransaction(params Operation[] ops)
        => new(Source, 100, new SequenceNumber(1), Preconditions.None, Memo.None, [.. ops]);

    /// <summary>Encodes a v1 envelope of a transaction but lets the test patch the bytes after the memo.</summary>
    private static byte[] EnvelopeWithOperationBytes(Action<XdrWriter> writeOperations, int ext = 0)
    {
        var w = new XdrWriter();
        w.WriteInt32((int)EnvelopeType.Tx);
        new MuxedAccount(Source).WriteXdr(w);
        w.WriteUInt32(100);
        w.WriteInt64(1);
        Preconditions.None.WriteXdr(w);
        Memo.None.WriteXdr(w);
        writeOperations(w);
        w.WriteInt32(ext);
        w.WriteUInt32(0);
        return w.ToArray();
    }

    [Fact]
    public void UnmodelledOperation_IsUnsupported_WithItsNumber()
    {
        var bytes = EnvelopeWithOperationBytes(w =>
        {
            w.WriteUInt32(1);
            w.WriteBool(false);
            w.WriteInt32((int)OperationType.ManageSellOffer);
        });
        var e = Assert.Throws<XdrUnsupportedException>(() => XdrCodec.Decode<TransactionEnvelope>(bytes));
        Assert.Equal("unsupported operation 3", e.Message);
        Assert.IsAssignableFrom<XdrFormatException>(e);
    }

    [Fact]
    public void UnknownOperationNumber_IsUnsupportedToo()
    {
        var bytes = EnvelopeWithOperationBytes(w =>
        {
            w.WriteUInt32(1);
            w.WriteBool(false);
            w.WriteInt32(999);
        });
        Assert.Equal("unsupported operation 999", Assert.Throws<XdrUnsupportedException>(() => XdrCodec.Decode<TransactionEnvelope>(bytes)).Message);
    }

    [Fact]
    public void SorobanTransactionExt_IsUnsupported_AndOtherExtsAreMalformed()
    {
        Assert.Throws<XdrUnsupportedException>(() => XdrCodec.Decode<TransactionEnvelope>(EnvelopeWithOperationBytes(w => w.WriteUInt32(0), ext: 1)));
        var e = Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionEnvelope>(EnvelopeWithOperationBytes(w => w.WriteUInt32(0), ext: 2)));
        Assert.IsNotType<XdrUnsupportedException>(e);
    }

    [Fact]
    public void ChangeTrustOnALiquidityPool_IsUnsupported()
    {
        var bytes = EnvelopeWithOperationBytes(w =>
        {
            w.WriteUInt32(1);
            w.WriteBool(false);
            w.WriteInt32((int)OperationType.ChangeTrust);
            w.WriteInt32(3); // ASSET_TYPE_POOL_SHARE
            w.WriteFixedOpaque(new byte[64]);
        });
        Assert.Throws<XdrUnsupportedException>(() => XdrCodec.Decode<TransactionEnvelope>(bytes));
    }

    [Fact]
    public void HugeArrayLength_IsRejectedBeforeAllocating()
    {
        // Claims 100 operations but carries none: the count exceeds what the remaining bytes can hold.
        var bytes = EnvelopeWithOperationBytes(w => w.WriteUInt32(100));
        Assert.Contains("exceeds the remaining input", Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionEnvelope>(bytes)).Message);

        var over = EnvelopeWithOperationBytes(w => w.WriteUInt32(101));
        Assert.Contains("exceeds maximum 100", Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionEnvelope>(over)).Message);

        var w = new XdrWriter();
        w.WriteInt64(0);
        w.WriteInt32(0);
        w.WriteUInt32(uint.MaxValue);
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionResult>(w.ToArray()));
    }

    [Fact]
    public void OpaqueLongerThanItsMaximum_IsRejected()
    {
        var w = new XdrWriter();
        w.WriteUInt32(1);
        w.WriteUInt32(65);
        w.WriteFixedOpaque(new byte[65]);
        Assert.Contains("exceeds maximum 64", Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<DecoratedSignature>(w.ToArray())).Message);

        w.Reset();
        w.WriteInt32(1);
        w.WriteUInt32(29);
        w.WriteFixedOpaque(new byte[29]);
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<Memo>(w.ToArray()));

        w.Reset();
        w.WriteInt32(1);
        w.WriteUInt32(20);
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<Memo>(w.ToArray()));
    }

    [Fact]
    public void InputLargerThanMaxBytes_IsRejected()
    {
        var bytes = XdrCodec.Encode<TransactionEnvelope>(SimpleTransaction(new BumpSequenceOperation(new SequenceNumber(5))).ToEnvelope());
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionEnvelope>(bytes, new XdrLimits(64, bytes.Length - 1)));
        Assert.NotNull(XdrCodec.Decode<TransactionEnvelope>(bytes, new XdrLimits(64, bytes.Length)));
        Assert.Throws<XdrFormatException>(() => XdrCodec.FromBase64<TransactionEnvelope>(Convert.ToBase64String(new byte[4096]), new XdrLimits(64, 1024)));
    }

    [Fact]
    public void NestingDeeperThanMaxDepth_IsRejected()
    {
        var bytes = XdrCodec.Encode<TransactionEnvelope>(SimpleTransaction(new PaymentOperation(Source, Asset.Native, new Stroops(1))).ToEnvelope());
        // Envelope → transaction → operation → destination → key: 5 levels.
        Assert.Contains("nesting", Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionEnvelope>(bytes, new XdrLimits(3, 1 << 20))).Message);
        Assert.NotNull(XdrCodec.Decode<TransactionEnvelope>(bytes, new XdrLimits(8, 1 << 20)));
    }

    [Fact]
    public void InvalidBoolean_NonZeroPadding_AndBadDiscriminants_AreFormatErrors()
    {
        var w = new XdrWriter();
        w.WriteInt32(2); // bool 2 as "source account present"
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<Operation>(w.ToArray()));

        var padded = XdrCodec.Encode<Memo>(new MemoText("abc"));
        padded[^1] = 1;
        Assert.Contains("padding", Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<Memo>(padded)).Message);

        foreach (var (type, value) in new (Type, int)[] { (typeof(Memo), 5), (typeof(Asset), 3), (typeof(Preconditions), 3), (typeof(SignerKey), 4), (typeof(MuxedAccount), 1), (typeof(TransactionEnvelope), 1) })
        {
            w.Reset();
            w.WriteInt32(value);
            w.WriteFixedOpaque(new byte[64]);
            var bytes = w.ToArray();
            Action decode = type.Name switch
            {
                nameof(Memo) => () => XdrCodec.Decode<Memo>(bytes),
                nameof(Asset) => () => XdrCodec.Decode<Asset>(bytes),
                nameof(Preconditions) => () => XdrCodec.Decode<Preconditions>(bytes),
                nameof(SignerKey) => () => XdrCodec.Decode<SignerKey>(bytes),
                nameof(MuxedAccount) => () => XdrCodec.Decode<MuxedAccount>(bytes),
                _ => () => XdrCodec.Decode<TransactionEnvelope>(bytes),
            };
            Assert.ThrowsAny<XdrFormatException>(decode);
        }
    }

    [Fact]
    public void InvalidAssetCodes_AreFormatErrors()
    {
        foreach (var code in new byte[][] { [0, 0, 0, 0], [(byte)'U', 0, (byte)'D', 0], [(byte)'U', (byte)'-', 0, 0] })
        {
            var w = new XdrWriter();
            w.WriteInt32(1);
            w.WriteFixedOpaque(code);
            Source.WriteXdr(w);
            Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<Asset>(w.ToArray()));
        }

        var twelve = new XdrWriter();
        twelve.WriteInt32(2);
        twelve.WriteFixedOpaque("ABCD\0\0\0\0\0\0\0\0"u8);
        Source.WriteXdr(twelve);
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<Asset>(twelve.ToArray()));
    }

    [Fact]
    public void InvalidUtf8InAString_IsAFormatError()
    {
        var w = new XdrWriter();
        w.WriteUInt32(2);
        w.WriteFixedOpaque(new byte[] { 0xc3, 0x28 });
        var op = new XdrWriter();
        op.WriteBool(false);
        op.WriteInt32((int)OperationType.ManageData);
        op.WriteFixedOpaque(w.WrittenSpan);
        op.WriteBool(false);
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<Operation>(op.ToArray()));
    }

    [Fact]
    public void RandomCorruption_OnlyEverThrowsXdrFormatException()
    {
        var valid = VectorFile.Rows("envelopes.txt").Select(r => Convert.FromBase64String(r[2])).ToArray();
        var rng = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])valid[i % valid.Length].Clone();
            for (var flips = rng.Next(1, 4); flips > 0; flips--)
            {
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            }

            try
            {
                var decoded = XdrCodec.Decode<TransactionEnvelope>(bytes);
                Assert.Equal(bytes, decoded.ToXdr());
            }
            catch (XdrFormatException)
            {
            }
        }
    }

    [Fact]
    public void WriterRejectsValuesBeyondTheirXdrBounds()
    {
        var w = new XdrWriter();
        Assert.Throws<ArgumentException>(() => w.WriteVarOpaque(new byte[65], 64));
        Assert.Throws<ArgumentException>(() => w.WriteString(new string('a', 33), 32));
        Assert.Throws<ArgumentException>(() => new Preconditions { ExtraSigners = [new HashXSignerKey(default), new HashXSignerKey(default), new HashXSignerKey(default)] });
        Assert.Throws<ArgumentException>(() => new ManageDataOperation(new string('n', 65), null));
        Assert.Throws<ArgumentException>(() => new ManageDataOperation("n", new byte[65]));
        Assert.Throws<ArgumentException>(() => new SetOptionsOperation(HomeDomain: new string('d', 33)));
        Assert.Throws<ArgumentException>(() => SimpleTransaction([.. Enumerable.Repeat<Operation>(new BumpSequenceOperation(default), 101)]));
    }

    private sealed record NestedEncoder(Memo Inner) : IXdrCodec<NestedEncoder>
    {
        // Encodes another value through the helpers while being written itself.
        public void WriteXdr(XdrWriter w) => w.WriteVarOpaque(XdrCodec.Encode(Inner), 64);

        public static NestedEncoder ReadXdr(XdrReader r) => new(XdrCodec.Decode<Memo>(r.ReadVarOpaque(64)));
    }

    [Fact]
    public void Codecs_MayUseTheHelpersWhileBeingEncoded()
    {
        var value = new NestedEncoder(new MemoId(42));
        var bytes = XdrCodec.Encode(value);
        Assert.Equal(4 + 12, bytes.Length);
        Assert.Equal(value, XdrCodec.Decode<NestedEncoder>(bytes));
        Assert.Equal(Hash256.Sha256(bytes), XdrCodec.HashOf(value));
    }
}
