using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;

namespace Watchtower.Tower.Ingestion;

/// <summary>The operator key the tower obeys for subscription commands; none configured means none are obeyed.</summary>
public sealed record OperatorAuthority(AccountId? Key);

/// <summary>What an authenticated operator command does to a subscription: pure rules over values.</summary>
public static class SubscriptionRules
{
    /// <summary>The subscription after a registration, or why it is refused.</summary>
    public static (Subscription? Next, RejectionReason Reason, string Detail) Register(Subscription? current, RegisterSubscription command, AccountId walletKey)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.MaxChannels < 0 || command.MaxBytes < 0)
        {
            return (null, RejectionReason.Malformed, "negative quota");
        }
        var issuedAt = command.IssuedAt.ToUnixTimeMilliseconds();
        if (current is not null && issuedAt <= current.LastCommandAt)
        {
            return (null, RejectionReason.ReplayedCommand, $"issued at {command.IssuedAt:O}, not after the last command applied");
        }
        if (current is not null && current.WalletKey != walletKey && !command.ReplaceWalletKey)
        {
            return (null, RejectionReason.WalletKeyConflict, "the subscription is bound to another wallet key; set ReplaceWalletKey to rotate it");
        }
        return (new Subscription(command.SubscriptionId, walletKey, command.MaxChannels, command.MaxBytes, command.ExpiresAt, issuedAt), default, "");
    }

    /// <summary>The subscription after a renewal, or why it is refused.</summary>
    public static (Subscription? Next, RejectionReason Reason, string Detail) Renew(Subscription? current, RenewSubscription command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (current is null)
        {
            return (null, RejectionReason.UnknownSubscription, $"no subscription {command.SubscriptionId}");
        }
        if (command.MaxChannels < 0 || command.MaxBytes < 0)
        {
            return (null, RejectionReason.Malformed, "negative quota");
        }
        var issuedAt = command.IssuedAt.ToUnixTimeMilliseconds();
        if (issuedAt <= current.LastCommandAt)
        {
            return (null, RejectionReason.ReplayedCommand, $"issued at {command.IssuedAt:O}, not after the last command applied");
        }
        return (current with
        {
            ExpiresAt = command.ExpiresAt,
            MaxChannels = command.MaxChannels ?? current.MaxChannels,
            MaxBytes = command.MaxBytes ?? current.MaxBytes,
            LastCommandAt = issuedAt,
        }, default, "");
    }
}
