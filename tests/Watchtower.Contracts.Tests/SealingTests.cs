using System.Buffers.Binary;
using Watchtower.TestSupport;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Contracts.Tests;

public sealed class SealingTests : IDisposable
{
    private readonly TowerSealingKey _tower = TowerSealingKey.Generate();
    private readonly TestChannel _channel = new();

    public void Dispose() => _tower.Dispose();

    [Fact]
    public void SealedBundle_OpensToTheSameBundle()
    {
        var bundle = _channel.Bundle(3);
        var sealedBundle = SealedBundle.Parse(_channel.Seal(bundle, _tower.PublicKey).Bytes);

        Assert.Equal(bundle.ChannelId, sealedBundle.ChannelId);
        Assert.Equal(3UL, sealedBundle.Round);
        Assert.True(sealedBundle.IsSignedBy(_channel.WalletIdentity.AccountId));
        Assert.Equal(bundle, BundleSealer.Open(sealedBundle, _tower));
    }

    [Fact]
    public void SealedBundle_DoesNotContainThePlaintext()
    {
        var bundle = _channel.Bundle(1);
        var ratchetXdr = bundle.Ratchet.ToXdr();
        var sealedBytes = _channel.Seal(bundle, _tower.PublicKey).ToArray();

        Assert.Equal(-1, sealedBytes.AsSpan().IndexOf(ratchetXdr.AsSpan(0, 40)));
        Assert.Equal(-1, sealedBytes.AsSpan().IndexOf(_channel.Escrow.AccountId.PublicKey));
    }

    [Fact]
    public void SignatureByAnotherKey_DoesNotVerify()
    {
        var sealedBundle = _channel.Seal(_channel.Bundle(1), _tower.PublicKey, KeyPair.Random());
        Assert.False(sealedBundle.IsSignedBy(_channel.WalletIdentity.AccountId));
    }

    [Fact]
    public void BundleForAnotherTower_IsWrongTowerKey()
    {
        using var other = TowerSealingKey.Generate();
        var sealedBundle = _channel.Seal(_channel.Bundle(1), other.PublicKey);

        var e = Assert.Throws<BundleRejectedException>(() => BundleSealer.Open(sealedBundle, _tower));
        Assert.Equal(RejectionReason.WrongTowerKey, e.Reason);
    }

    [Fact]
    public void FlippedCiphertextByte_FailsDecryption()
    {
        var bytes = _channel.Seal(_channel.Bundle(1), _tower.PublicKey).ToArray();
        bytes[200] ^= 1;

        var e = Assert.Throws<BundleRejectedException>(() => BundleSealer.Open(SealedBundle.Parse(bytes), _tower));
        Assert.Equal(RejectionReason.DecryptionFailed, e.Reason);
    }

    [Fact]
    public void RoundChangedInClearHeader_FailsDecryption()
    {
        // The round is associated data: moving a round-1 ciphertext under a round-9 header must fail.
        var bytes = _channel.Seal(_channel.Bundle(1), _tower.PublicKey).ToArray();
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(4 + 1 + 32 + 16), 9);

        var e = Assert.Throws<BundleRejectedException>(() => BundleSealer.Open(SealedBundle.Parse(bytes), _tower));
        Assert.Equal(RejectionReason.DecryptionFailed, e.Reason);
    }

    [Fact]
    public void TruncatedEnvelope_IsMalformed()
    {
        var bytes = _channel.Seal(_channel.Bundle(1), _tower.PublicKey).ToArray();
        var e = Assert.Throws<BundleRejectedException>(() => SealedBundle.Parse(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Equal(RejectionReason.Malformed, e.Reason);
    }

    [Fact]
    public void EnvelopeAboveTheLimit_IsOversized()
    {
        var e = Assert.Throws<BundleRejectedException>(() => SealedBundle.Parse(new byte[BundleLimits.MaxSealedBytes + 1]));
        Assert.Equal(RejectionReason.Oversized, e.Reason);
    }

    [Fact]
    public void PlaintextCodec_RoundTripsAndRejectsTrailingBytes()
    {
        var bundle = _channel.Bundle(2);
        var encoded = BundleCodec.Encode(bundle);
        Assert.Equal(bundle, BundleCodec.Decode(encoded));

        var e = Assert.Throws<BundleRejectedException>(() => BundleCodec.Decode(encoded.Concat(new byte[4]).ToArray()));
        Assert.Equal(RejectionReason.Malformed, e.Reason);
    }

    [Fact]
    public void PlaintextGarbage_IsMalformed()
    {
        var e = Assert.Throws<BundleRejectedException>(() => BundleCodec.Decode(new byte[] { 0, 0, 0, 1, 0xff, 0xff }));
        Assert.Equal(RejectionReason.Malformed, e.Reason);
    }

    [Fact]
    public void EnvelopeThatIsNotATransaction_IsInvalidContent()
    {
        var encoded = BundleCodec.Encode(_channel.Bundle(2));
        // The ratchet's opaque starts after the fixed fields; corrupt its envelope type.
        var ratchetXdr = _channel.Bundle(2).Ratchet.ToXdr();
        var at = encoded.AsSpan().IndexOf(ratchetXdr);
        BinaryPrimitives.WriteInt32BigEndian(encoded.AsSpan(at), 77);

        var e = Assert.Throws<BundleRejectedException>(() => BundleCodec.Decode(encoded));
        Assert.Equal(RejectionReason.InvalidContent, e.Reason);
        Assert.Equal(ContentProblem.TransactionDecode, e.Problem);
    }

    [Fact]
    public void DeclaredCountAboveTheLimit_IsOversized()
    {
        var encoded = BundleCodec.Encode(_channel.Bundle(2));
        // Counterparty count sits after version, channel id, passphrase and two account ids.
        var passphraseLength = 4 + ((_channel.Network.Passphrase.Length + 3) / 4 * 4);
        var at = 4 + 16 + passphraseLength + 36 + 36;
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(encoded.AsSpan(at)));
        BinaryPrimitives.WriteInt32BigEndian(encoded.AsSpan(at), 1_000_000);

        var e = Assert.Throws<BundleRejectedException>(() => BundleCodec.Decode(encoded));
        Assert.Equal(RejectionReason.Oversized, e.Reason);
    }
}
