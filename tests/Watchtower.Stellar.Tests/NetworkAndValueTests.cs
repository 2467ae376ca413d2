using Xunit;

namespace Watchtower.Stellar.Tests;

public class NetworkAndValueTests
{
    public static TheoryData<string[]> NetworkIds => VectorFile.Theory("network-ids.txt");

    [Theory]
    [MemberData(nameof(NetworkIds))]
    public void NetworkId_IsSha256OfThePassphrase(string[] row)
    {
        Assert.Equal(row[1], new Network(row[0]).NetworkId.ToString());
    }

    [Fact]
    public void WellKnownNetworks_HaveTheirPassphrases()
    {
        Assert.Equal("Public Global Stellar Network ; September 2015", Network.Public.Passphrase);
        Assert.Equal("Test SDF Network ; September 2015", Network.Testnet.Passphrase);
        Assert.Equal("Standalone Network ; February 2017", Network.Standalone.Passphrase);
        Assert.Equal(new Network("Test SDF Network ; September 2015"), Network.Testnet);
        Assert.Equal(Network.Public.NetworkId, (Network.Testnet with { Passphrase = Network.Public.Passphrase }).NetworkId);
    }

    [Fact]
    public void SequenceNumber_FromLedger_ShiftsBy32Bits()
    {
        Assert.Equal(new SequenceNumber(5L << 32), SequenceNumber.FromLedger(5));
        Assert.Equal(new SequenceNumber(0xFFFF_FFFFL << 32), SequenceNumber.FromLedger(uint.MaxValue));
        var s = new SequenceNumber(10);
        Assert.Equal(new SequenceNumber(13), s + 3);
        Assert.True(s < s + 1);
        Assert.Equal(3L, (s + 3) - s);
        Assert.Throws<OverflowException>(() => new SequenceNumber(long.MaxValue) + 1);
    }

    [Fact]
    public void Hash256_AndTransactionHash_ParseAndPrintLowerHex()
    {
        var h = Hash256.Sha256("abc"u8);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", h.ToString());
        Assert.Equal(h, Hash256.Parse(h.ToString().ToUpperInvariant()));
        var t = TransactionHash.Parse(h.ToString());
        Assert.Equal(h.ToString(), t.ToString());
        Assert.False(TransactionHash.TryParse("xyz", out _));
        Assert.False(Hash256.TryParse(new string('0', 63), out _));
        Assert.Throws<FormatException>(() => Hash256.Parse("zz"));
    }

    [Theory]
    [InlineData("X", typeof(CreditAlphanum4Asset))]
    [InlineData("USDC", typeof(CreditAlphanum4Asset))]
    [InlineData("ABCDE", typeof(CreditAlphanum12Asset))]
    [InlineData("ABCDEFGHIJ12", typeof(CreditAlphanum12Asset))]
    public void AssetCredit_PicksTheVariantByCodeLength(string code, Type kind)
    {
        var asset = Asset.Credit(code, VectorFile.Key(9).AccountId);
        Assert.IsType(kind, asset);
        Assert.Equal(asset, Xdr.XdrCodec.Decode<Asset>(Xdr.XdrCodec.Encode(asset)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ABCDEFGHIJ123")]
    [InlineData("US-D")]
    [InlineData("ÜSD")]
    public void AssetCodes_OutsideTheRules_AreRejected(string code)
    {
        Assert.Throws<ArgumentException>(() => Asset.Credit(code, VectorFile.Key(9).AccountId));
    }

    [Fact]
    public void AlphaNum12_RejectsShortCodes_AndAlphaNum4_RejectsLongOnes()
    {
        var issuer = VectorFile.Key(9).AccountId;
        Assert.Throws<ArgumentException>(() => new CreditAlphanum12Asset("USD", issuer));
        Assert.Throws<ArgumentException>(() => new CreditAlphanum4Asset("USDCX", issuer));
    }

    [Fact]
    public void MemoText_AllowsAtMost28Utf8Bytes()
    {
        Assert.Equal(28, new MemoText(new string('a', 28)).Bytes.Length);
        Assert.Throws<ArgumentException>(() => new MemoText(new string('a', 29)));
        Assert.Throws<ArgumentException>(() => new MemoText(new string('é', 15)));
        Assert.Equal(new MemoText("same"), new MemoText("same"));
    }

    [Fact]
    public void MemoText_WithNonUtf8Bytes_KeepsItsExactBytes()
    {
        var memo = MemoText.FromBytes([0xff, 0xfe, 0x00, 0x41]);
        var decoded = Assert.IsType<MemoText>(Xdr.XdrCodec.Decode<Memo>(Xdr.XdrCodec.Encode<Memo>(memo)));
        Assert.Equal(new byte[] { 0xff, 0xfe, 0x00, 0x41 }, decoded.Bytes.ToArray());
    }

    [Fact]
    public void SignerKeys_AndDecoratedSignatures_CompareByValue()
    {
        var k = VectorFile.Key(3).AccountId;
        Assert.Equal(new SignedPayloadSignerKey(k, [1, 2]), new SignedPayloadSignerKey(k, [1, 2]));
        Assert.NotEqual(new SignedPayloadSignerKey(k, [1, 2]), new SignedPayloadSignerKey(k, [1, 3]));
        Assert.Equal(new DecoratedSignature(new SignatureHint(1), [1, 2]), new DecoratedSignature(new SignatureHint(1), [1, 2]));
        Assert.Throws<ArgumentException>(() => new DecoratedSignature(new SignatureHint(1), new byte[65]));
    }

    [Fact]
    public void KeyPair_FromSecret_RoundTripsTheSeed_AndRandomKeysDiffer()
    {
        var kp = KeyPair.FromSecret("SBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHOKR");
        Assert.Equal("SBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHOKR", kp.Seed.ToString());
        var r1 = KeyPair.Random();
        var r2 = KeyPair.Random();
        Assert.NotEqual(r1.AccountId, r2.AccountId);
        Assert.Equal(r1.AccountId, KeyPair.FromSeed(r1.Seed).AccountId);
    }

    [Fact]
    public void WithExpressions_StillValidateAssetCodesAndHomeDomains()
    {
        var usd = new CreditAlphanum4Asset("USD", VectorFile.Key(9).AccountId);
        Assert.Equal("EUR", (usd with { Code = "EUR" }).Code);
        Assert.Throws<ArgumentException>(() => usd with { Code = "TOOLONGCODE1234" });
        Assert.Throws<ArgumentException>(() => new SetOptionsOperation() with { HomeDomain = new string('d', 33) });
    }

    [Fact]
    public void SignatureHint_PrintsAndParsesEightHexDigits()
    {
        var hint = VectorFile.Key(1).AccountId.Hint;
        Assert.Equal("b40f6f5c", hint.ToString());
        Assert.Equal(hint, SignatureHint.Parse("B40F6F5C"));
        Assert.False(SignatureHint.TryParse("b40f6f5", out _));
        Assert.False(SignatureHint.TryParse("b40f6f5g", out _));
    }
}
