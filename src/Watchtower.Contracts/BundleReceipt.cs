using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>
/// The tower's signed promise: "I hold round <see cref="Round"/> of <see cref="ChannelId"/>, the
/// sealed bundle hashing to <see cref="BundleHash"/>, accepted when ledger <see cref="AcceptingLedger"/>
/// was the latest I knew". Signed with the tower's ed25519 identity key.
/// </summary>
public sealed record BundleReceipt(
    ChannelId ChannelId,
    ulong Round,
    Hash256 BundleHash,
    uint AcceptingLedger,
    AccountId Tower,
    ImmutableArray<byte> Signature)
{
    public const int EncodedSize = ChannelId.Size + 8 + 32 + 4 + 32 + 64;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("watchtower:receipt:v1");

    public static BundleReceipt Issue(KeyPair tower, ChannelId channelId, ulong round, Hash256 bundleHash, uint acceptingLedger)
    {
        ArgumentNullException.ThrowIfNull(tower);
        var signature = tower.Sign(SignedPayload(channelId, round, bundleHash, acceptingLedger));
        return new BundleReceipt(channelId, round, bundleHash, acceptingLedger, tower.AccountId, [.. signature]);
    }

    /// <summary>The exact bytes the tower signs (domain-separated).</summary>
    public static byte[] SignedPayload(ChannelId channelId, ulong round, Hash256 bundleHash, uint acceptingLedger)
    {
        var payload = new byte[Domain.Length + ChannelId.Size + 8 + 32 + 4];
        var span = payload.AsSpan();
        Domain.CopyTo(span);
        span = span[Domain.Length..];
        channelId.WriteTo(span);
        BinaryPrimitives.WriteUInt64BigEndian(span[ChannelId.Size..], round);
        bundleHash.Bytes.CopyTo(span[(ChannelId.Size + 8)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[(ChannelId.Size + 40)..], acceptingLedger);
        return payload;
    }

    /// <summary>Whether <see cref="Tower"/> really signed these fields.</summary>
    public bool IsSignatureValid =>
        Signature.Length == 64
        && KeyPair.Verify(Tower, SignedPayload(ChannelId, Round, BundleHash, AcceptingLedger), Signature.AsSpan());

    /// <summary>Fixed-size binary form (for storage next to the bundle).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[EncodedSize];
        var span = bytes.AsSpan();
        ChannelId.WriteTo(span);
        BinaryPrimitives.WriteUInt64BigEndian(span[16..], Round);
        BundleHash.Bytes.CopyTo(span[24..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[56..], AcceptingLedger);
        Tower.PublicKey.CopyTo(span[60..]);
        Signature.AsSpan().CopyTo(span[92..]);
        return bytes;
    }

    public static BundleReceipt FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != EncodedSize)
        {
            throw new FormatException($"a receipt is {EncodedSize} bytes, got {bytes.Length}");
        }
        return new BundleReceipt(
            ChannelId.FromBytes(bytes[..16]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            new Hash256(bytes.Slice(24, 32)),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[56..]),
            new AccountId(bytes.Slice(60, 32)),
            [.. bytes.Slice(92, 64)]);
    }

    public bool Equals(BundleReceipt? other) =>
        other is not null && ChannelId == other.ChannelId && Round == other.Round && BundleHash == other.BundleHash
        && AcceptingLedger == other.AcceptingLedger && Tower == other.Tower && Signature.SequenceEqual(other.Signature);

    public override int GetHashCode() => HashCode.Combine(ChannelId, Round, BundleHash);
}

/// <summary>What a wallet concludes about a receipt.</summary>
public enum ReceiptCheck
{
    Valid,
    /// <summary>Signed by another key than the tower the wallet subscribed to.</summary>
    WrongTower,
    BadSignature,
    ChannelMismatch,
    /// <summary>The receipt is for another round than the one uploaded.</summary>
    RoundMismatch,
    /// <summary>The receipt names another sealed bundle than the one uploaded.</summary>
    BundleMismatch,
}

/// <summary>Wallet-side check that a receipt covers exactly the bundle it uploaded.</summary>
public static class ReceiptVerifier
{
    public static ReceiptCheck Check(BundleReceipt receipt, AccountId expectedTower, SealedBundle uploaded)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(uploaded);
        if (receipt.Tower != expectedTower)
        {
            return ReceiptCheck.WrongTower;
        }
        if (!receipt.IsSignatureValid)
        {
            return ReceiptCheck.BadSignature;
        }
        if (receipt.ChannelId != uploaded.ChannelId)
        {
            return ReceiptCheck.ChannelMismatch;
        }
        if (receipt.Round != uploaded.Round)
        {
            return ReceiptCheck.RoundMismatch;
        }
        return receipt.BundleHash == uploaded.Hash ? ReceiptCheck.Valid : ReceiptCheck.BundleMismatch;
    }
}
