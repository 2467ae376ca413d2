using Xunit;

namespace Watchtower.Stellar.Tests;

public class BuilderTests
{
    private static readonly KeyPair A = VectorFile.Key(1);
    private static readonly KeyPair C = VectorFile.Key(2);

    private static string Vector(string name) => VectorFile.Rows("envelopes.txt").Single(r => r[0] == name)[2];

    [Fact]
    public void With_AndAddOperation_NeverChangeTheOriginalBuilder()
    {
        var start = new TransactionBuilder(A.AccountId, new SequenceNumber(7));
        var withFee = start.WithFee(500);
        var withMemo = withFee.WithMemo(new MemoId(1));
        var withOp = withMemo.AddOperation(new BumpSequenceOperation(new SequenceNumber(9)));
        var withTwo = withOp.AddOperation(new BumpSequenceOperation(new SequenceNumber(10)));
        var withBounds = withTwo.WithTimeBounds(1, 2);

        Assert.Equal(TransactionBuilder.DefaultBaseFee, start.FeePerOperation);
        Assert.Equal(Memo.None, withFee.Memo);
        Assert.Empty(withMemo.Operations);
        Assert.Single(withOp.Operations);
        Assert.Equal(2, withTwo.Operations.Length);
        Assert.Null(withTwo.Preconditions.TimeBounds);
        Assert.Equal(new TimeBounds(1, 2), withBounds.Preconditions.TimeBounds);

        var tx1 = withOp.Build();
        var tx2 = withBounds.Build();
        Assert.Equal(500U, tx1.Fee);
        Assert.Equal(1000U, tx2.Fee);
        Assert.Single(tx1.Operations);
        Assert.Equal(new SequenceNumber(8), tx2.Sequence);
    }

    [Fact]
    public void Build_WithoutOperations_Throws_AndFeeOverflowIsChecked()
    {
        var b = new TransactionBuilder(A.AccountId, new SequenceNumber(1));
        Assert.Throws<InvalidOperationException>(() => b.Build());
        var costly = b.WithFee(uint.MaxValue).AddOperation(new BumpSequenceOperation(default)).AddOperation(new BumpSequenceOperation(default));
        Assert.Throws<OverflowException>(() => costly.Build());
    }

    [Fact]
    public void Builder_ReproducesTheJsBuiltCreateAccount()
    {
        var env = new TransactionBuilder(A.AccountId, new SequenceNumber(4294967296))
            .WithTimeBounds(0, 0)
            .AddOperation(new CreateAccountOperation(C.AccountId, Stroops.Parse("10.5")))
            .BuildEnvelope()
            .Sign(Network.Testnet, A);
        Assert.Equal(Vector("create-account-timebounds-unbounded"), env.ToXdrBase64());
    }

    [Fact]
    public void Builder_ReproducesTheJsBuiltFullV2Preconditions()
    {
        var d = VectorFile.Key(3);
        var env = new TransactionBuilder(A.AccountId, new SequenceNumber(4294967296))
            .WithPreconditions(new Preconditions
            {
                TimeBounds = new TimeBounds(10, 20),
                LedgerBounds = new LedgerBounds(5, 50),
                MinSeqNum = new SequenceNumber(4294967290),
                MinSeqAge = 3600,
                MinSeqLedgerGap = 7,
                ExtraSigners = [new Ed25519SignerKey(C.AccountId), new SignedPayloadSignerKey(d.AccountId, [9, 9])],
            })
            .WithMemo(new MemoText("channel round 7"))
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(4294967400)))
            .BuildEnvelope()
            .Sign(Network.Public, A);
        Assert.Equal(Vector("preconditions-v2-full-public-network"), env.ToXdrBase64());
    }

    [Fact]
    public void Builder_ReproducesTheJsBuiltMixedOperations()
    {
        var issuer = VectorFile.Key(9).AccountId;
        var mux = new MuxedAccount(C.AccountId, 1234567890123);
        var env = new TransactionBuilder(A.AccountId, new SequenceNumber(4294967296))
            .WithMemo(new MemoReturn(new Hash256(Enumerable.Repeat((byte)8, 32).ToArray())))
            .WithTimeBounds(new TimeBounds(0, 0))
            .AddOperation(new ChangeTrustOperation(Asset.Credit("USD", issuer), 10_000_000_000))
            .AddOperation(new ChangeTrustOperation(Asset.Credit("ABCDE", issuer), long.MaxValue))
            .AddOperation(new AccountMergeOperation(mux))
            .AddOperation(new ManageDataOperation("key", "value"u8.ToArray()))
            .AddOperation(new ManageDataOperation("gone", null))
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(long.MaxValue)))
            .BuildEnvelope()
            .Sign(Network.Testnet, A);
        Assert.Equal(Vector("change-trust-merge-data-bump-memo-return"), env.ToXdrBase64());
    }

    [Fact]
    public void Preconditions_EncodeAsTheSmallestKindThatCarriesTheirFields()
    {
        Assert.Equal(PreconditionType.None, Preconditions.None.EncodedKind);
        Assert.Equal(PreconditionType.Time, Preconditions.FromTimeBounds(new TimeBounds(1, 2)).EncodedKind);
        Assert.Equal(PreconditionType.V2, (Preconditions.None with { MinSeqAge = 1 }).EncodedKind);
        Assert.Equal(PreconditionType.V2, (Preconditions.None with { LedgerBounds = new LedgerBounds(0, 0) }).EncodedKind);
    }

    [Fact]
    public void V0Envelope_RejectsTransactionsItCannotEncode()
    {
        var tx = new TransactionBuilder(new MuxedAccount(A.AccountId, 5), new SequenceNumber(1)).AddOperation(new BumpSequenceOperation(default)).Build();
        Assert.Throws<ArgumentException>(() => new TransactionV0Envelope(tx, []));
        var v2 = new TransactionBuilder(A.AccountId, new SequenceNumber(1)).WithPreconditions(new Preconditions { MinSeqLedgerGap = 1 }).AddOperation(new BumpSequenceOperation(default)).Build();
        Assert.Throws<ArgumentException>(() => new TransactionV0Envelope(v2, []));
    }

    [Fact]
    public void DecodedTimePreconditions_WithoutTimeBounds_FallBackToNone()
    {
        var decoded = Watchtower.Stellar.Xdr.XdrCodec.Decode<Preconditions>(Watchtower.Stellar.Xdr.XdrCodec.Encode(Preconditions.FromTimeBounds(new TimeBounds(1, 2))));
        Assert.Equal(PreconditionType.Time, decoded.DecodedKind);
        var cleared = decoded with { TimeBounds = null };
        Assert.Equal(PreconditionType.None, cleared.EncodedKind);
        Assert.Equal(new byte[4], Watchtower.Stellar.Xdr.XdrCodec.Encode(cleared));
    }
}
