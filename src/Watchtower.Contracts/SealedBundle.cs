using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>
/// The sealed form of a bundle: what the broker and Redis hold. Layout (big-endian):
/// <code>
/// "WTSB" | uint8 version (1) | recipient X25519 key[32] | channelId[16] | uint64 round
/// | ephemeral X25519 key[32] | nonce[12] | uint32 ciphertextLength | ciphertext
/// | ed25519 signature[64] by the wallet's identity key over every byte before it
/// </code>
/// Channel id and round are in clear so the tower can authenticate, rate and order an upload
/// before decrypting; the AEAD binds them (associated data) so they cannot be swapped.
/// </summary>
public sealed class SealedBundle
{
    public const byte CurrentVersion = 1;
    public const int NonceSize = 12;
    public const int SignatureSize = 64;
    private const int HeaderSize = 4 + 1 + TowerPublicKey.Size + ChannelId.Size + 8 + 32 + NonceSize + 4;
    public const int OverheadBytes = HeaderSize + SignatureSize;
    private static readonly byte[] Magic = "WTSB"u8.ToArray();
    private static readonly byte[] SignatureDomain = Encoding.ASCII.GetBytes("watchtower:sealed-bundle:v1");

    private readonly byte[] _bytes;

    private SealedBundle(byte[] bytes, TowerPublicKey recipient, ChannelId channelId, ulong round)
    {
        _bytes = bytes;
        Recipient = recipient;
        ChannelId = channelId;
        Round = round;
    }

    public TowerPublicKey Recipient { get; }
    public ChannelId ChannelId { get; }
    public ulong Round { get; }
    public byte Version => _bytes[4];
    public int Length => _bytes.Length;

    public ReadOnlySpan<byte> Bytes => _bytes;
    public ReadOnlySpan<byte> EphemeralKey => _bytes.AsSpan(HeaderSize - 4 - NonceSize - 32, 32);
    public ReadOnlySpan<byte> Nonce => _bytes.AsSpan(HeaderSize - 4 - NonceSize, NonceSize);
    public ReadOnlySpan<byte> Ciphertext => _bytes.AsSpan(HeaderSize, _bytes.Length - OverheadBytes);
    public ReadOnlySpan<byte> Signature => _bytes.AsSpan(_bytes.Length - SignatureSize);

    /// <summary>SHA-256 of the whole sealed envelope: the identity receipts refer to.</summary>
    public Hash256 Hash => Hash256.Sha256(_bytes);

    public byte[] ToArray() => (byte[])_bytes.Clone();

    /// <summary>Parses the envelope without decrypting; throws Oversized or Malformed.</summary>
    public static SealedBundle Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > BundleLimits.MaxSealedBytes)
        {
            throw new BundleRejectedException(RejectionReason.Oversized, $"sealed bundle of {bytes.Length} bytes exceeds {BundleLimits.MaxSealedBytes}");
        }
        if (bytes.Length < OverheadBytes + 16 || !bytes[..4].SequenceEqual(Magic))
        {
            throw new BundleRejectedException(RejectionReason.Malformed, "not a sealed bundle");
        }
        if (bytes[4] != CurrentVersion)
        {
            throw new BundleRejectedException(RejectionReason.Malformed, $"unsupported sealed bundle version {bytes[4]}");
        }
        var offset = 5;
        var recipient = new TowerPublicKey(bytes.Slice(offset, TowerPublicKey.Size));
        offset += TowerPublicKey.Size;
        var channelId = ChannelId.FromBytes(bytes.Slice(offset, ChannelId.Size));
        offset += ChannelId.Size;
        var round = BinaryPrimitives.ReadUInt64BigEndian(bytes[offset..]);
        var ciphertextLength = BinaryPrimitives.ReadUInt32BigEndian(bytes[(HeaderSize - 4)..]);
        if (ciphertextLength != (uint)(bytes.Length - OverheadBytes))
        {
            throw new BundleRejectedException(RejectionReason.Malformed, "sealed bundle length does not match its ciphertext length");
        }
        return new SealedBundle(bytes.ToArray(), recipient, channelId, round);
    }

    /// <summary>Whether the wallet identity key signed this envelope.</summary>
    public bool IsSignedBy(AccountId walletKey) => KeyPair.Verify(walletKey, SignedPayload(_bytes.AsSpan(0, _bytes.Length - SignatureSize)), Signature);

    /// <summary>The associated data the AEAD binds: version, recipient, channel id, round, ephemeral key.</summary>
    internal ReadOnlySpan<byte> AssociatedData => _bytes.AsSpan(0, HeaderSize - NonceSize - 4);

    internal static SealedBundle Assemble(TowerPublicKey recipient, ChannelId channelId, ulong round,
        ReadOnlySpan<byte> ephemeralKey, ReadOnlySpan<byte> nonce, Func<byte[], byte[]> encrypt, KeyPair walletIdentity)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        header[4] = CurrentVersion;
        var offset = 5;
        recipient.Bytes.CopyTo(header.AsSpan(offset));
        offset += TowerPublicKey.Size;
        channelId.WriteTo(header.AsSpan(offset));
        offset += ChannelId.Size;
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(offset), round);
        offset += 8;
        ephemeralKey.CopyTo(header.AsSpan(offset));
        offset += 32;
        nonce.CopyTo(header.AsSpan(offset));
        var ciphertext = encrypt(header[..(HeaderSize - NonceSize - 4)]);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(HeaderSize - 4), (uint)ciphertext.Length);

        var bytes = new byte[HeaderSize + ciphertext.Length + SignatureSize];
        header.CopyTo(bytes, 0);
        ciphertext.CopyTo(bytes, HeaderSize);
        var signature = walletIdentity.Sign(SignedPayload(bytes.AsSpan(0, bytes.Length - SignatureSize)));
        signature.CopyTo(bytes, bytes.Length - SignatureSize);
        return new SealedBundle(bytes, recipient, channelId, round);
    }

    // Domain-separated so a wallet identity signature can never double as any other signature.
    private static byte[] SignedPayload(ReadOnlySpan<byte> signedBytes)
    {
        var payload = new byte[SignatureDomain.Length + 32];
        SignatureDomain.CopyTo(payload, 0);
        SHA256.HashData(signedBytes, payload.AsSpan(SignatureDomain.Length));
        return payload;
    }
}
