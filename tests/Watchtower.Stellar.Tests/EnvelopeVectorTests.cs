using Watchtower.Stellar.Xdr;
using Xunit;

namespace Watchtower.Stellar.Tests;

/// <summary>Envelopes built, signed and hashed by the JS SDK (Vectors/envelopes.txt).</summary>
public class EnvelopeVectorTests
{
    public static TheoryData<string[]> Envelopes => VectorFile.Theory("envelopes.txt");

    private static TransactionEnvelope Load(string name)
    {
        var row = VectorFile.Rows("envelopes.txt").Single(r => r[0] == name);
        return TransactionEnvelope.FromXdrBase64(row[2]);
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Vector_DecodesReencodesByteExactly_AndHashesLikeTheJsSdk(string[] row)
    {
        var network = VectorFile.NetworkNamed(row[1]);
        var envelope = TransactionEnvelope.FromXdrBase64(row[2]);
        Assert.Equal(row[2], envelope.ToXdrBase64());
        Assert.Equal(row[3], envelope.Hash(network).ToString());
        Assert.Equal(envelope, TransactionEnvelope.FromXdrBase64(envelope.ToXdrBase64()));
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Vector_ResigningTheUnsignedEnvelopeWithTheSameKeys_ReproducesIt(string[] row)
    {
        var network = VectorFile.NetworkNamed(row[1]);
        var envelope = TransactionEnvelope.FromXdrBase64(row[2]);
        var keys = new[] { VectorFile.Key(1), VectorFile.Key(2), VectorFile.Key(3) };
        var resigned = envelope with { Signatures = [] };
        foreach (var sig in envelope.Signatures)
        {
            var key = keys.Single(k => k.AccountId.Hint == sig.Hint);
            resigned = resigned.Sign(network, key);
        }

        Assert.Equal(row[2], resigned.ToXdrBase64());
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Vector_EveryTruncation_FailsWithXdrFormatException(string[] row)
    {
        var bytes = Convert.FromBase64String(row[2]);
        for (var n = 0; n < bytes.Length; n++)
        {
            Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionEnvelope>(bytes.AsSpan(0, n)));
        }

        var longer = new byte[bytes.Length + 4];
        bytes.CopyTo(longer, 0);
        Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<TransactionEnvelope>(longer));
    }

    [Fact]
    public void V0Envelope_StaysV0_AndHashesAsTheEquivalentV1Transaction()
    {
        var v0 = Assert.IsType<TransactionV0Envelope>(Load("v0-envelope"));
        Assert.Equal(EnvelopeType.TxV0, v0.Type);
        Assert.Equal(new TimeBounds(1, 2), v0.Transaction.Preconditions.TimeBounds);
        var asV1 = new TransactionV1Envelope(v0.Transaction, v0.Signatures);
        Assert.Equal(v0.Hash(Network.Testnet), asV1.Hash(Network.Testnet));
        Assert.NotEqual(v0.ToXdrBase64(), asV1.ToXdrBase64());

        var noBounds = Assert.IsType<TransactionV0Envelope>(Load("v0-envelope-no-timebounds-unsigned"));
        Assert.Equal(PreconditionType.None, noBounds.Transaction.Preconditions.EncodedKind);
    }

    [Fact]
    public void PreconditionKinds_ArePreservedThroughDecoding()
    {
        var empty = Assert.IsType<TransactionV1Envelope>(Load("preconditions-v2-empty-unsigned-standalone"));
        Assert.Equal(PreconditionType.V2, empty.Transaction.Preconditions.EncodedKind);
        Assert.Null(empty.Transaction.Preconditions.TimeBounds);
        var none = Assert.IsType<TransactionV1Envelope>(Load("preconditions-none-unsigned-standalone"));
        Assert.Equal(PreconditionType.None, none.Transaction.Preconditions.EncodedKind);
        var time = Assert.IsType<TransactionV1Envelope>(Load("create-account-timebounds-unbounded"));
        Assert.Equal(PreconditionType.Time, time.Transaction.Preconditions.EncodedKind);
        Assert.Equal(new TimeBounds(0, 0), time.Transaction.Preconditions.TimeBounds);
    }

    [Fact]
    public void FullV2Preconditions_DecodeEveryField()
    {
        var env = Assert.IsType<TransactionV1Envelope>(Load("preconditions-v2-full-public-network"));
        var p = env.Transaction.Preconditions;
        Assert.Equal(new TimeBounds(10, 20), p.TimeBounds);
        Assert.Equal(new LedgerBounds(5, 50), p.LedgerBounds);
        Assert.Equal(new SequenceNumber(4294967290), p.MinSeqNum);
        Assert.Equal(3600UL, p.MinSeqAge);
        Assert.Equal(7U, p.MinSeqLedgerGap);
        Assert.Equal(2, p.ExtraSigners.Length);
        Assert.Equal(new Ed25519SignerKey(VectorFile.Key(2).AccountId), p.ExtraSigners[0]);
        var payload = Assert.IsType<SignedPayloadSignerKey>(p.ExtraSigners[1]);
        Assert.Equal(new byte[] { 9, 9 }, payload.Payload);
        Assert.Equal("channel round 7", Assert.IsType<MemoText>(env.Transaction.Memo).Text);
    }

    [Fact]
    public void SetOptions_DecodesEveryFieldAndEverySignerKind()
    {
        var tx = Assert.IsType<TransactionV1Envelope>(Load("set-options-all-fields-all-signer-kinds-memo-hash")).Transaction;
        var all = Assert.IsType<SetOptionsOperation>(tx.Operations[0]);
        Assert.Equal(VectorFile.Key(2).AccountId, all.InflationDest);
        Assert.Equal((1U, 2U, 0U, 1U, 2U, 3U), (all.ClearFlags!.Value, all.SetFlags!.Value, all.MasterWeight!.Value, all.LowThreshold!.Value, all.MedThreshold!.Value, all.HighThreshold!.Value));
        Assert.Equal("example.com", all.HomeDomain);
        Assert.Equal(new Signer(new Ed25519SignerKey(VectorFile.Key(3).AccountId), 1), all.Signer);
        Assert.IsType<PreAuthTxSignerKey>(((SetOptionsOperation)tx.Operations[1]).Signer!.Key);
        Assert.IsType<HashXSignerKey>(((SetOptionsOperation)tx.Operations[2]).Signer!.Key);
        var sp = Assert.IsType<SignedPayloadSignerKey>(((SetOptionsOperation)tx.Operations[3]).Signer!.Key);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, sp.Payload);
        Assert.Equal(new SetOptionsOperation(), tx.Operations[4]);
        Assert.IsType<MemoHash>(tx.Memo);
    }

    [Fact]
    public void MixedOperations_DecodeToTheirRecords()
    {
        var tx = Assert.IsType<TransactionV1Envelope>(Load("change-trust-merge-data-bump-memo-return")).Transaction;
        var issuer = VectorFile.Key(9).AccountId;
        Assert.Equal(new ChangeTrustOperation(new CreditAlphanum4Asset("USD", issuer), 10_000_000_000), tx.Operations[0]);
        Assert.Equal(new ChangeTrustOperation(new CreditAlphanum12Asset("ABCDE", issuer), long.MaxValue), tx.Operations[1]);
        var merge = Assert.IsType<AccountMergeOperation>(tx.Operations[2]);
        Assert.Equal(1234567890123UL, merge.Destination.Id);
        Assert.Equal(new ManageDataOperation("key", "value"u8.ToArray()), tx.Operations[3]);
        Assert.Equal(new ManageDataOperation("gone", null), tx.Operations[4]);
        Assert.Equal(new BumpSequenceOperation(new SequenceNumber(long.MaxValue)), tx.Operations[5]);
        Assert.IsType<MemoReturn>(tx.Memo);
    }

    [Fact]
    public void Payments_DecodeMuxedDestinationsAndOperationSources()
    {
        var tx = Assert.IsType<TransactionV1Envelope>(Load("payments-muxed-alphanum4-12-memo-id")).Transaction;
        var first = Assert.IsType<PaymentOperation>(tx.Operations[0]);
        Assert.Equal(Stroops.MaxValue, first.Amount);
        Assert.Equal(1234567890123UL, first.Destination.Id);
        var second = Assert.IsType<PaymentOperation>(tx.Operations[1]);
        Assert.Equal(new Stroops(1), second.Amount);
        Assert.Equal(1234567890123UL, second.SourceAccount!.Id);
        Assert.IsType<CreditAlphanum12Asset>(second.Asset);
        Assert.Equal(new MemoId(ulong.MaxValue), tx.Memo);
        Assert.Equal(200U, tx.Fee);
    }

    [Fact]
    public void MuxedSource_IsKeptOnTheTransaction()
    {
        var tx = Assert.IsType<TransactionV1Envelope>(Load("muxed-source")).Transaction;
        Assert.Equal(1234567890123UL, tx.Source.Id);
        Assert.Equal(VectorFile.Key(2).AccountId, tx.Source.Account);
    }

    [Fact]
    public void FeeBump_ExposesItsInnerEnvelope_AndHashesWithTheFeeBumpTag()
    {
        var fb = Assert.IsType<FeeBumpEnvelope>(Load("fee-bump"));
        Assert.Equal(EnvelopeType.TxFeeBump, fb.Type);
        Assert.Equal(2000L, fb.FeeBump.Fee);
        Assert.Equal(VectorFile.Key(3).AccountId, fb.FeeBump.FeeSource.Account);
        var inner = Assert.IsType<TransactionV1Envelope>(fb.FeeBump.Inner);
        Assert.Single(inner.Signatures);
        Assert.NotEqual(inner.Hash(Network.Testnet), fb.Hash(Network.Testnet));
        var rewrapped = FeeBumpTransaction.Wrap(inner, VectorFile.Key(3).AccountId, 2000).ToEnvelope().Sign(Network.Testnet, VectorFile.Key(3));
        Assert.Equal(fb.ToXdrBase64(), rewrapped.ToXdrBase64());

        var muxed = Assert.IsType<FeeBumpEnvelope>(Load("fee-bump-muxed-fee-source-unsigned"));
        Assert.Equal(42UL, muxed.FeeBump.FeeSource.Id);
    }

    [Fact]
    public void FeeBumpWrap_OfAV0Envelope_ConvertsItToV1WithTheSameHashAndSignatures()
    {
        var v0 = Assert.IsType<TransactionV0Envelope>(Load("v0-envelope"));
        var fb = FeeBumpTransaction.Wrap(v0, VectorFile.Key(3).AccountId, 1000);
        var inner = Assert.IsType<TransactionV1Envelope>(fb.Inner);
        Assert.Equal(v0.Hash(Network.Testnet), inner.Hash(Network.Testnet));
        Assert.Equal(v0.Signatures, inner.Signatures);
        Assert.Throws<ArgumentException>(() => FeeBumpTransaction.Wrap(fb.ToEnvelope(), VectorFile.Key(3).AccountId, 1000));
        Assert.Throws<ArgumentException>(() => fb with { Inner = v0 });
    }

    [Fact]
    public void Signing_ReturnsANewEnvelope_AndLeavesTheOriginalUnsigned()
    {
        var env = Load("preconditions-none-unsigned-standalone");
        var signed = env.Sign(Network.Standalone, VectorFile.Key(1));
        Assert.Empty(env.Signatures);
        Assert.Single(signed.Signatures);
        Assert.True(KeyPair.Verify(VectorFile.Key(1).AccountId, env.Hash(Network.Standalone).Bytes, signed.Signatures[0].SignatureSpan));
    }

    [Fact]
    public void SignaturePayload_IsNetworkIdThenEnvelopeTypeThenTransaction()
    {
        var env = Assert.IsType<TransactionV1Envelope>(Load("create-account-timebounds-unbounded"));
        var payload = env.Transaction.SignaturePayload(Network.Testnet);
        Assert.Equal(Network.Testnet.NetworkId.ToArray(), payload[..32]);
        Assert.Equal(new byte[] { 0, 0, 0, 2 }, payload[32..36]);
        Assert.Equal(XdrCodec.Encode(env.Transaction), payload[36..]);
        Assert.Equal(Hash256.Sha256(payload), env.Hash(Network.Testnet).Value);
        var decoded = XdrCodec.Decode<TransactionSignaturePayload>(payload);
        Assert.Equal(env.Transaction, decoded.Transaction);

        var fb = Assert.IsType<FeeBumpEnvelope>(Load("fee-bump"));
        var fbPayload = fb.FeeBump.SignaturePayload(Network.Testnet);
        Assert.Equal(new byte[] { 0, 0, 0, 5 }, fbPayload[32..36]);
        Assert.NotNull(XdrCodec.Decode<TransactionSignaturePayload>(fbPayload).FeeBump);
    }
}
