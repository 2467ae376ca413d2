using System.Buffers.Binary;
using System.Text;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>Signing and checking <see cref="ForgetChannel"/> requests with the wallet identity key.</summary>
public static class ForgetChannelSignature
{
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("watchtower:forget-channel:v1");

    public static byte[] Payload(Guid subscriptionId, ChannelId channelId, ulong upToRound)
    {
        var payload = new byte[Domain.Length + 16 + ChannelId.Size + 8];
        Domain.CopyTo(payload, 0);
        subscriptionId.TryWriteBytes(payload.AsSpan(Domain.Length), bigEndian: true, out _);
        channelId.WriteTo(payload.AsSpan(Domain.Length + 16));
        BinaryPrimitives.WriteUInt64BigEndian(payload.AsSpan(Domain.Length + 16 + ChannelId.Size), upToRound);
        return payload;
    }

    public static ForgetChannel Create(Guid subscriptionId, ChannelId channelId, ulong upToRound, KeyPair walletIdentity)
    {
        ArgumentNullException.ThrowIfNull(walletIdentity);
        return new ForgetChannel(subscriptionId, channelId, upToRound, walletIdentity.Sign(Payload(subscriptionId, channelId, upToRound)));
    }

    public static bool IsSignedBy(ForgetChannel request, AccountId walletKey)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Signature is { Length: 64 }
            && KeyPair.Verify(walletKey, Payload(request.SubscriptionId, request.ChannelId, request.UpToRound), request.Signature);
    }
}
