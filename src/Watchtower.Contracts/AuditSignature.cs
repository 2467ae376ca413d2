using System.Buffers.Binary;
using System.Text;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>
/// The wallet-side audit: a wallet-signed <see cref="AuditChannel"/> request and the tower's
/// receipt-key-signed <see cref="ChannelAudited"/> statement over what it stores for the channel.
/// </summary>
public static class AuditSignature
{
    public const int NonceSize = 16;
    private static readonly byte[] RequestDomain = Encoding.ASCII.GetBytes("watchtower:audit-request:v1");
    private static readonly byte[] StatementDomain = Encoding.ASCII.GetBytes("watchtower:audit-statement:v1");

    public static byte[] RequestPayload(Guid subscriptionId, ChannelId channelId, ReadOnlySpan<byte> nonce)
    {
        var payload = new byte[RequestDomain.Length + 16 + ChannelId.Size + nonce.Length];
        RequestDomain.CopyTo(payload, 0);
        subscriptionId.TryWriteBytes(payload.AsSpan(RequestDomain.Length), bigEndian: true, out _);
        channelId.WriteTo(payload.AsSpan(RequestDomain.Length + 16));
        nonce.CopyTo(payload.AsSpan(RequestDomain.Length + 16 + ChannelId.Size));
        return payload;
    }

    /// <summary>A request with a fresh random nonce.</summary>
    public static AuditChannel Request(Guid subscriptionId, ChannelId channelId, KeyPair walletIdentity)
    {
        ArgumentNullException.ThrowIfNull(walletIdentity);
        var nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(NonceSize);
        return new AuditChannel(subscriptionId, channelId, nonce, walletIdentity.Sign(RequestPayload(subscriptionId, channelId, nonce)));
    }

    public static bool IsSignedBy(AuditChannel request, AccountId walletKey)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Signature is { Length: 64 } && request.Nonce is { Length: NonceSize }
            && KeyPair.Verify(walletKey, RequestPayload(request.SubscriptionId, request.ChannelId, request.Nonce), request.Signature);
    }

    /// <summary>
    /// The bytes the tower signs: domain, channel id, held flag, stored round, SHA-256 of the stored
    /// sealed bytes, the wallet's nonce, and the store epoch (length-prefixed UTF-8; empty when the store has none).
    /// </summary>
    public static byte[] StatementPayload(ChannelId channelId, bool held, ulong round, ReadOnlySpan<byte> bundleHash, ReadOnlySpan<byte> nonce, string storeEpoch)
    {
        ArgumentNullException.ThrowIfNull(storeEpoch);
        var epoch = Encoding.UTF8.GetBytes(storeEpoch);
        var payload = new byte[StatementDomain.Length + ChannelId.Size + 1 + 8 + 32 + 2 + nonce.Length + 2 + epoch.Length];
        var span = payload.AsSpan();
        StatementDomain.CopyTo(span);
        span = span[StatementDomain.Length..];
        channelId.WriteTo(span);
        span[16] = held ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64BigEndian(span[17..], round);
        bundleHash[..32].CopyTo(span[25..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[57..], checked((ushort)nonce.Length));
        nonce.CopyTo(span[59..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[(59 + nonce.Length)..], checked((ushort)epoch.Length));
        epoch.CopyTo(span[(61 + nonce.Length)..]);
        return payload;
    }

    /// <summary>The tower's statement about a stored channel (or, with <paramref name="stored"/> null, that it holds none).</summary>
    public static ChannelAudited Statement(KeyPair tower, AuditChannel request, ulong round, ReadOnlySpan<byte> stored, bool held, string storeEpoch)
    {
        ArgumentNullException.ThrowIfNull(tower);
        ArgumentNullException.ThrowIfNull(request);
        var hash = held ? Hash256.Sha256(stored).Bytes.ToArray() : new byte[32];
        var r = held ? round : 0;
        var signature = tower.Sign(StatementPayload(request.ChannelId, held, r, hash, request.Nonce, storeEpoch));
        return new ChannelAudited(request.SubscriptionId, request.ChannelId, held, r, hash, request.Nonce, storeEpoch, tower.AccountId.ToString(), signature);
    }

    /// <summary>Whether <paramref name="tower"/> signed this statement as an answer to <paramref name="request"/>.</summary>
    public static bool IsValidAnswer(ChannelAudited statement, AuditChannel request, AccountId tower)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(request);
        return statement.TowerKey == tower.ToString() && statement.ChannelId == request.ChannelId
            && statement.Nonce is not null && statement.Nonce.AsSpan().SequenceEqual(request.Nonce)
            && statement.BundleHash is { Length: 32 } && statement.TowerSignature is { Length: 64 } && statement.StoreEpoch is not null
            && KeyPair.Verify(tower, StatementPayload(statement.ChannelId, statement.Held, statement.Round, statement.BundleHash, statement.Nonce, statement.StoreEpoch), statement.TowerSignature);
    }
}
