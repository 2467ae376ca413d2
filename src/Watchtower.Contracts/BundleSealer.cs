using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>
/// Seals a bundle to the tower (ephemeral X25519 agreement, HKDF-SHA256, ChaCha20-Poly1305 with
/// channel id and round as associated data) and opens it on the tower side.
/// </summary>
public static class BundleSealer
{
    private static readonly byte[] KeyInfo = Encoding.ASCII.GetBytes("watchtower:bundle-key:v1");

    public static SealedBundle Seal(Bundle bundle, TowerPublicKey tower, KeyPair walletIdentity)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return SealPlaintext(BundleCodec.Encode(bundle), bundle.ChannelId, bundle.Round, tower, walletIdentity);
    }

    /// <summary>Seals already-encoded plaintext (tests use it to seal content that is not a valid bundle).</summary>
    internal static SealedBundle SealPlaintext(byte[] plaintext, ChannelId channelId, ulong round, TowerPublicKey tower, KeyPair walletIdentity)
    {
        ArgumentNullException.ThrowIfNull(walletIdentity);
        using var ephemeral = Key.Create(KeyAgreementAlgorithm.X25519);
        var ephemeralPublic = ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var towerKey = PublicKey.Import(KeyAgreementAlgorithm.X25519, tower.Bytes, KeyBlobFormat.RawPublicKey);
        using var shared = KeyAgreementAlgorithm.X25519.Agree(ephemeral, towerKey)
            ?? throw new CryptographicException("X25519 agreement failed");
        using var aeadKey = DeriveKey(shared, ephemeralPublic, tower.Bytes);
        var nonce = RandomNumberGenerator.GetBytes(SealedBundle.NonceSize);
        return SealedBundle.Assemble(tower, channelId, round, ephemeralPublic, nonce,
            ad => AeadAlgorithm.ChaCha20Poly1305.Encrypt(aeadKey, nonce, ad, plaintext), walletIdentity);
    }

    /// <summary>
    /// Decrypts and decodes. Throws WrongTowerKey, DecryptionFailed, Malformed/Oversized, or
    /// Malformed when the clear header disagrees with the plaintext. Does not check the wallet's
    /// signature (the caller knows which key to expect) nor validate the content.
    /// </summary>
    public static Bundle Open(SealedBundle sealedBundle, TowerSealingKey towerKey)
    {
        ArgumentNullException.ThrowIfNull(sealedBundle);
        ArgumentNullException.ThrowIfNull(towerKey);
        if (sealedBundle.Recipient != towerKey.PublicKey)
        {
            throw new BundleRejectedException(RejectionReason.WrongTowerKey, $"sealed to {sealedBundle.Recipient}, this tower is {towerKey.PublicKey}");
        }
        if (!PublicKey.TryImport(KeyAgreementAlgorithm.X25519, sealedBundle.EphemeralKey, KeyBlobFormat.RawPublicKey, out var ephemeral) || ephemeral is null)
        {
            throw new BundleRejectedException(RejectionReason.DecryptionFailed, "invalid ephemeral key");
        }
        using var shared = KeyAgreementAlgorithm.X25519.Agree(towerKey.Key, ephemeral);
        if (shared is null)
        {
            throw new BundleRejectedException(RejectionReason.DecryptionFailed, "degenerate ephemeral key");
        }
        using var aeadKey = DeriveKey(shared, sealedBundle.EphemeralKey, towerKey.PublicKey.Bytes);
        var aead = AeadAlgorithm.ChaCha20Poly1305;
        var plaintext = new byte[sealedBundle.Ciphertext.Length - aead.TagSize];
        if (!aead.Decrypt(aeadKey, sealedBundle.Nonce, sealedBundle.AssociatedData, sealedBundle.Ciphertext, plaintext))
        {
            throw new BundleRejectedException(RejectionReason.DecryptionFailed, "authentication tag does not verify");
        }
        var bundle = BundleCodec.Decode(plaintext);
        if (bundle.ChannelId != sealedBundle.ChannelId || bundle.Round != sealedBundle.Round)
        {
            throw new BundleRejectedException(RejectionReason.Malformed, "sealed header and plaintext disagree on channel id or round");
        }
        return bundle;
    }

    private static Key DeriveKey(SharedSecret shared, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> towerPublic)
    {
        Span<byte> salt = stackalloc byte[64];
        ephemeralPublic.CopyTo(salt);
        towerPublic.CopyTo(salt[32..]);
        return KeyDerivationAlgorithm.HkdfSha256.DeriveKey(shared, salt, KeyInfo, AeadAlgorithm.ChaCha20Poly1305);
    }
}
