using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Contracts.Messages;

/// <summary>
/// The signed receipt (reply to <see cref="UploadBundle"/>, sent to the requester only).
/// <see cref="TowerSignature"/> is the tower's ed25519 signature over
/// <see cref="BundleReceipt.SignedPayload"/>(channel id, round, bundle hash, accepting ledger).
/// </summary>
public sealed record BundleAccepted(
    Guid SubscriptionId,
    ChannelId ChannelId,
    ulong Round,
    byte[] BundleHash,
    uint AcceptingLedger,
    string TowerKey,
    byte[] TowerSignature)
{
    public static BundleAccepted From(Guid subscriptionId, BundleReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return new(subscriptionId, receipt.ChannelId, receipt.Round, receipt.BundleHash.ToArray(),
            receipt.AcceptingLedger, receipt.Tower.ToString(), [.. receipt.Signature]);
    }

    /// <summary>The receipt as a value; throws <see cref="FormatException"/> on a garbled message.</summary>
    public BundleReceipt ToReceipt() =>
        new(ChannelId, Round, new Hash256(BundleHash), AcceptingLedger, AccountId.Parse(TowerKey), [.. TowerSignature]);
}

/// <summary>The typed refusal (reply to any wallet or operator request, sent to the requester only).</summary>
public sealed record BundleRejected(
    Guid SubscriptionId,
    ChannelId? ChannelId,
    ulong? Round,
    RejectionReason Reason,
    ContentProblem Problem,
    string Detail);

/// <summary>Reply to <see cref="RegisterSubscription"/> / <see cref="RenewSubscription"/>: the subscription as the tower now holds it.</summary>
public sealed record SubscriptionChanged(Guid SubscriptionId, string WalletKey, int MaxChannels, long MaxBytes, DateTimeOffset ExpiresAt);

/// <summary>Reply to <see cref="ForgetChannel"/>: <paramref name="Removed"/> is false when nothing was held or a later round was kept.</summary>
public sealed record ChannelForgotten(Guid SubscriptionId, ChannelId ChannelId, ulong UpToRound, bool Removed);

/// <summary>
/// Reply to <see cref="AuditChannel"/>: the tower's statement, signed by its receipt key over
/// <see cref="AuditSignature.StatementPayload"/>, computed from the bytes it stores. <paramref name="Held"/>
/// false means "not held" (round 0, zero hash).
/// </summary>
public sealed record ChannelAudited(
    Guid SubscriptionId, ChannelId ChannelId, bool Held, ulong Round, byte[] BundleHash, byte[] Nonce, string StoreEpoch, string TowerKey, byte[] TowerSignature);

// Outcome events: sent to the operator-only queue Tower:Responder:OutcomeQueue when configured,
// never published on the bus's fanout exchanges (any broker user could bind those).

/// <summary>A stale ratchet was answered with the latest one.</summary>
public sealed record BreachCountered(ChannelId ChannelId, ulong Round, uint LedgerSequence, long ObservedEscrowSequence, string RatchetTransactionHash, DateTimeOffset At);

/// <summary>The wallet stopped refreshing and the ratchet's deadline approached: the tower closed the channel.</summary>
public sealed record DeadlineForceClosed(ChannelId ChannelId, ulong Round, uint LedgerSequence, string RatchetTransactionHash, DateTimeOffset At);

/// <summary>Snapshot transactions of the latest round were submitted.</summary>
public sealed record SnapshotsSubmitted(ChannelId ChannelId, ulong Round, uint LedgerSequence, string[] TransactionHashes, DateTimeOffset At);

/// <summary>R reached r + n: the channel is settled and its storage freed.</summary>
public sealed record ChannelSettled(ChannelId ChannelId, ulong Round, uint LedgerSequence, DateTimeOffset At);

/// <summary>R moved past r + n: the tower's bundle is outdated or the channel corrupted; no action taken.</summary>
public sealed record ChannelCorrupted(ChannelId ChannelId, ulong Round, uint LedgerSequence, long ObservedEscrowSequence, DateTimeOffset At);
