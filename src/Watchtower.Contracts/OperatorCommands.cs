using System.Buffers.Binary;
using System.Text;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>
/// Signing and checking operator commands (<see cref="RegisterSubscription"/>, <see cref="RenewSubscription"/>)
/// with the tower's operator key. The payload is domain-separated per command, covers every field,
/// and names the tower's receipt key, so a command signed for one tower is refused by every other;
/// <c>IssuedAt</c> must grow per subscription, so an old command replayed is refused too.
/// </summary>
public static class OperatorCommands
{
    private static readonly byte[] RegisterDomain = Encoding.ASCII.GetBytes("watchtower:operator:register-subscription:v1");
    private static readonly byte[] RenewDomain = Encoding.ASCII.GetBytes("watchtower:operator:renew-subscription:v1");

    /// <summary>The exact bytes the operator signs for a registration; throws <see cref="FormatException"/> on a wallet key that is not a G… key.</summary>
    public static byte[] RegisterPayload(AccountId tower, RegisterSubscription command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var wallet = AccountId.Parse(command.WalletKey);
        var payload = new byte[RegisterDomain.Length + 32 + 16 + 32 + 4 + 8 + 8 + 1 + 8];
        var span = payload.AsSpan();
        RegisterDomain.CopyTo(span);
        span = span[RegisterDomain.Length..];
        tower.PublicKey.CopyTo(span);
        command.SubscriptionId.TryWriteBytes(span[32..], bigEndian: true, out _);
        wallet.PublicKey.CopyTo(span[48..]);
        BinaryPrimitives.WriteInt32BigEndian(span[80..], command.MaxChannels);
        BinaryPrimitives.WriteInt64BigEndian(span[84..], command.MaxBytes);
        BinaryPrimitives.WriteInt64BigEndian(span[92..], command.ExpiresAt.ToUnixTimeMilliseconds());
        span[100] = command.ReplaceWalletKey ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(span[101..], command.IssuedAt.ToUnixTimeMilliseconds());
        return payload;
    }

    /// <summary>The exact bytes the operator signs for a renewal (an absent quota field is distinct from any value).</summary>
    public static byte[] RenewPayload(AccountId tower, RenewSubscription command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var payload = new byte[RenewDomain.Length + 32 + 16 + 8 + 1 + 4 + 1 + 8 + 8];
        var span = payload.AsSpan();
        RenewDomain.CopyTo(span);
        span = span[RenewDomain.Length..];
        tower.PublicKey.CopyTo(span);
        command.SubscriptionId.TryWriteBytes(span[32..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(span[48..], command.ExpiresAt.ToUnixTimeMilliseconds());
        span[56] = command.MaxChannels.HasValue ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32BigEndian(span[57..], command.MaxChannels ?? 0);
        span[61] = command.MaxBytes.HasValue ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(span[62..], command.MaxBytes ?? 0);
        BinaryPrimitives.WriteInt64BigEndian(span[70..], command.IssuedAt.ToUnixTimeMilliseconds());
        return payload;
    }

    public static RegisterSubscription Register(
        KeyPair operatorKey, AccountId tower, Guid subscriptionId, AccountId walletKey, int maxChannels, long maxBytes,
        DateTimeOffset expiresAt, DateTimeOffset issuedAt, bool replaceWalletKey = false)
    {
        ArgumentNullException.ThrowIfNull(operatorKey);
        var unsigned = new RegisterSubscription(subscriptionId, walletKey.ToString(), maxChannels, maxBytes, expiresAt, replaceWalletKey, issuedAt, []);
        return unsigned with { Signature = operatorKey.Sign(RegisterPayload(tower, unsigned)) };
    }

    public static RenewSubscription Renew(
        KeyPair operatorKey, AccountId tower, Guid subscriptionId, DateTimeOffset expiresAt, int? maxChannels, long? maxBytes, DateTimeOffset issuedAt)
    {
        ArgumentNullException.ThrowIfNull(operatorKey);
        var unsigned = new RenewSubscription(subscriptionId, expiresAt, maxChannels, maxBytes, issuedAt, []);
        return unsigned with { Signature = operatorKey.Sign(RenewPayload(tower, unsigned)) };
    }

    /// <summary>Whether the operator key signed this registration for this tower (false on any malformed field).</summary>
    public static bool IsSignedBy(RegisterSubscription command, AccountId operatorKey, AccountId tower)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Signature is { Length: 64 } && command.WalletKey is not null && AccountId.TryParse(command.WalletKey, out _)
            && KeyPair.Verify(operatorKey, RegisterPayload(tower, command), command.Signature);
    }

    public static bool IsSignedBy(RenewSubscription command, AccountId operatorKey, AccountId tower)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Signature is { Length: 64 } && KeyPair.Verify(operatorKey, RenewPayload(tower, command), command.Signature);
    }
}
