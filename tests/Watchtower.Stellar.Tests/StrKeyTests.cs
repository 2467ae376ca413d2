using Xunit;

namespace Watchtower.Stellar.Tests;

public class StrKeyTests
{
    public static TheoryData<string[]> Valid => VectorFile.Theory("strkey-valid.txt");

    public static TheoryData<string[]> Invalid => VectorFile.Theory("strkey-invalid.txt");

    [Theory]
    [MemberData(nameof(Valid))]
    public void ValidVector_DecodesToItsPayloadAndReencodesIdentically(string[] row)
    {
        var version = Enum.Parse<StrKeyVersion>(row[0]);
        var payload = StrKey.Decode(version, row[1]);
        Assert.Equal(row[2], Convert.ToHexStringLower(payload));
        Assert.Equal(row[1], StrKey.Encode(version, payload));
        Assert.True(StrKey.TryDecode(version, row[1], out _));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidVector_IsRejectedWithStrKeyFormatException(string[] row)
    {
        var version = Enum.Parse<StrKeyVersion>(row[0]);
        Assert.Throws<StrKeyFormatException>(() => StrKey.Decode(version, row[1]));
        Assert.False(StrKey.TryDecode(version, row[1], out _));
    }

    [Fact]
    public void EveryKind_RoundTripsRandomPayloads()
    {
        var rng = new Random(23);
        foreach (var version in new[] { StrKeyVersion.AccountId, StrKeyVersion.SecretSeed, StrKeyVersion.PreAuthTx, StrKeyVersion.Sha256Hash })
        {
            for (var i = 0; i < 50; i++)
            {
                var data = new byte[32];
                rng.NextBytes(data);
                Assert.Equal(data, StrKey.Decode(version, StrKey.Encode(version, data)));
            }
        }

        for (var i = 0; i < 50; i++)
        {
            var data = new byte[40];
            rng.NextBytes(data);
            Assert.Equal(data, StrKey.Decode(StrKeyVersion.MuxedAccount, StrKey.Encode(StrKeyVersion.MuxedAccount, data)));
        }
    }

    [Fact]
    public void SignedPayloadKey_RoundTripsEveryPayloadLengthFrom1To64()
    {
        var account = VectorFile.Key(3).AccountId;
        for (var n = 1; n <= 64; n++)
        {
            var payload = Enumerable.Range(1, n).Select(i => (byte)i).ToArray();
            var key = new SignedPayloadSignerKey(account, payload);
            var text = key.ToString();
            Assert.StartsWith("P", text, StringComparison.Ordinal);
            var parsed = Assert.IsType<SignedPayloadSignerKey>(SignerKey.Parse(text));
            Assert.Equal(key, parsed);
            Assert.Equal(payload, parsed.Payload);
        }
    }

    // Recorded from both reference implementations for this envelope-legal key: stellar-base 15.0.0's
    // SignerKey.encodeSignerKey and the Rust reference XDR (@stellar/stellar-xdr-json 27.0.0).
    [Fact]
    public void SignedPayloadKey_WithEmptyPayload_PrintsAsTheReferencesDo_ButDoesNotParse()
    {
        var account = AccountId.Parse("GCFIRY65OQE7DFP5KLNS2PF2LVZMUZYJX4OZIEQ36N2IQANUB5XVYOJR");
        var key = new SignedPayloadSignerKey(account, []);
        const string printed = "PCFIRY65OQE7DFP5KLNS2PF2LVZMUZYJX4OZIEQ36N2IQANUB5XVYAAAAAAOQJQ";
        Assert.Equal(printed, key.ToString());
        Assert.Throws<StrKeyFormatException>(() => SignerKey.Parse(printed));
        Assert.False(StrKey.IsValid(StrKeyVersion.SignedPayload, printed));
    }

    [Fact]
    public void Encode_RejectsAPayloadOfTheWrongLength()
    {
        Assert.Throws<ArgumentException>(() => StrKey.Encode(StrKeyVersion.AccountId, new byte[31]));
        Assert.Throws<ArgumentException>(() => StrKey.Encode(StrKeyVersion.MuxedAccount, new byte[32]));
    }

    [Fact]
    public void TypedParsers_AcceptOnlyTheirOwnKind()
    {
        const string g = "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ";
        const string m = "MA3D5KRYM6CB7OWQ6TWYRR3Z4T7GNZLKERYNZGGA5SOAOPIFY6YQGAAAAAAAAAPCICBKU";
        Assert.Equal(g, AccountId.Parse(g).ToString());
        Assert.Throws<StrKeyFormatException>(() => AccountId.Parse(m));
        Assert.False(AccountId.TryParse("SBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHOKR", out _));
        Assert.Throws<StrKeyFormatException>(() => SecretSeed.Parse(g));

        var muxed = MuxedAccount.Parse(m);
        Assert.Equal(123456UL, muxed.Id);
        Assert.Equal("GA3D5KRYM6CB7OWQ6TWYRR3Z4T7GNZLKERYNZGGA5SOAOPIFY6YQHES5", muxed.Account.ToString());
        Assert.Equal(m, muxed.ToString());
        var plain = MuxedAccount.Parse(g);
        Assert.Null(plain.Id);
        Assert.Equal(g, plain.ToString());
        Assert.False(MuxedAccount.TryParse("MA7QYNF7SOWQ3GLR2DMLK", out _));
        Assert.Throws<StrKeyFormatException>(() => SignerKey.Parse("SBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHOKR"));
    }

    [Theory]
    [InlineData("GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ", typeof(Ed25519SignerKey))]
    [InlineData("TBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHXL7", typeof(PreAuthTxSignerKey))]
    [InlineData("XBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWGTOG", typeof(HashXSignerKey))]
    [InlineData("PA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAOQCAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUAAAAFGBU", typeof(SignedPayloadSignerKey))]
    public void SignerKey_ParsesEachKindAndPrintsItBack(string text, Type kind)
    {
        var key = SignerKey.Parse(text);
        Assert.IsType(kind, key);
        Assert.Equal(text, key.ToString());
    }
}
