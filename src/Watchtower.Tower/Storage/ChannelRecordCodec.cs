using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Tower.Storage;

/// <summary>
/// The channel record as one Redis string (one key, one allocation, no per-field overhead):
/// <code>
/// [0,16)   round as 16 lowercase hex digits  (ordered compare in Lua without number parsing)
/// [16]     record format (1)
/// [17,33)  subscription id
/// [33,41)  r_j (int64 BE)   [41] n   [42,50) D seconds   [50,58) ratchet maxTime   [58,66) snapshots minTime
/// [66]     k = watched account count, then k × 32-byte account keys (R first)
/// then     the receipt (BundleReceipt.EncodedSize bytes), then the sealed bundle (the rest)
/// </code>
/// The Lua scripts read the round (bytes 1..16), the subscription (18..33) and k (byte 67).
/// </summary>
internal static class ChannelRecordCodec
{
    public const int RoundDigits = 16;
    public const int SubscriptionOffset = 17;
    public const int AccountCountOffset = 66;
    private const byte Format = 1;

    public static string RoundText(ulong round) => round.ToString("x16", CultureInfo.InvariantCulture);

    public static byte[] Encode(ChannelMetadata m, BundleReceipt receipt, ReadOnlySpan<byte> sealedBundle)
    {
        var accounts = m.WatchedAccounts.Length;
        var size = AccountCountOffset + 1 + (32 * accounts) + BundleReceipt.EncodedSize + sealedBundle.Length;
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        System.Text.Encoding.ASCII.GetBytes(RoundText(m.Round), span);
        span[16] = Format;
        m.SubscriptionId.TryWriteBytes(span[SubscriptionOffset..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(span[33..], m.RatchetTarget.Value);
        span[41] = checked((byte)m.Participants);
        BinaryPrimitives.WriteUInt64BigEndian(span[42..], (ulong)m.ClaimDelay.TotalSeconds);
        BinaryPrimitives.WriteUInt64BigEndian(span[50..], m.RatchetMaxTime);
        BinaryPrimitives.WriteUInt64BigEndian(span[58..], m.SnapshotMinTime);
        span[AccountCountOffset] = checked((byte)accounts);
        var offset = AccountCountOffset + 1;
        foreach (var account in m.WatchedAccounts)
        {
            account.PublicKey.CopyTo(span[offset..]);
            offset += 32;
        }
        receipt.ToBytes().CopyTo(span[offset..]);
        offset += BundleReceipt.EncodedSize;
        sealedBundle.CopyTo(span[offset..]);
        return bytes;
    }

    public static StoredChannel Decode(ChannelId channelId, ReadOnlyMemory<byte> record)
    {
        var span = record.Span;
        if (span.Length < AccountCountOffset + 1 || span[16] != Format)
        {
            throw new InvalidDataException($"channel record {channelId} has an unknown format");
        }
        var round = ulong.Parse(System.Text.Encoding.ASCII.GetString(span[..RoundDigits]), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var subscription = new Guid(span.Slice(SubscriptionOffset, 16), bigEndian: true);
        var count = span[AccountCountOffset];
        var offset = AccountCountOffset + 1;
        var accounts = ImmutableArray.CreateBuilder<AccountId>(count);
        for (var i = 0; i < count; i++)
        {
            accounts.Add(new AccountId(span.Slice(offset, 32)));
            offset += 32;
        }
        var metadata = new ChannelMetadata(channelId, subscription, round,
            new SequenceNumber(BinaryPrimitives.ReadInt64BigEndian(span[33..])), span[41],
            TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt64BigEndian(span[42..])),
            BinaryPrimitives.ReadUInt64BigEndian(span[50..]), BinaryPrimitives.ReadUInt64BigEndian(span[58..]),
            accounts.MoveToImmutable());
        var receipt = BundleReceipt.FromBytes(span.Slice(offset, BundleReceipt.EncodedSize));
        return new StoredChannel(metadata, receipt, record[(offset + BundleReceipt.EncodedSize)..]);
    }

    /// <summary>The concatenated 32-byte keys of the watched accounts (the form the index scripts take).</summary>
    public static byte[] PackAccounts(ImmutableArray<AccountId> accounts)
    {
        var bytes = new byte[32 * accounts.Length];
        for (var i = 0; i < accounts.Length; i++)
        {
            accounts[i].PublicKey.CopyTo(bytes.AsSpan(32 * i));
        }
        return bytes;
    }
}
