namespace Watchtower.Contracts.Messages;

// Message records are wire contracts (MassTransit, System.Text.Json): keys travel as StrKey
// strings, binary as byte[] (base64 in JSON), times as DateTimeOffset. Convert to the strong
// types at the edge (see the ToXxx helpers on each record).

/// <summary>Operator → tower: create or replace a subscription (issued by billing/admin, not by wallets).</summary>
/// <param name="WalletKey">The wallet's ed25519 identity key (G…) that signs its uploads.</param>
public sealed record RegisterSubscription(Guid SubscriptionId, string WalletKey, int MaxChannels, long MaxBytes, DateTimeOffset ExpiresAt);

/// <summary>Operator → tower: extend a subscription and optionally change its quota.</summary>
public sealed record RenewSubscription(Guid SubscriptionId, DateTimeOffset ExpiresAt, int? MaxChannels, long? MaxBytes);

/// <summary>
/// Wallet → tower (request; the reply is <see cref="BundleAccepted"/> or <see cref="BundleRejected"/>):
/// a sealed bundle, see <see cref="SealedBundle"/>.
/// </summary>
public sealed record UploadBundle(Guid SubscriptionId, byte[] SealedBundle);

/// <summary>
/// Wallet → tower: stop watching a channel and free its storage. Signed by the wallet identity
/// key over <see cref="ForgetChannelSignature.Payload"/>; only rounds ≤ <paramref name="UpToRound"/>
/// are forgotten, so a replayed request cannot erase a later upload.
/// </summary>
public sealed record ForgetChannel(Guid SubscriptionId, ChannelId ChannelId, ulong UpToRound, byte[] Signature);

/// <summary>Why the tailer (or the scheduler) wants a responder to look at a channel.</summary>
public enum TriggerKind
{
    /// <summary>A watched account appeared in a closed ledger.</summary>
    Activity = 1,
    /// <summary>The latest ratchet's maxTime is within D of ledger time: force close.</summary>
    Deadline = 2,
    /// <summary>A scheduled follow-up is due (e.g. snapshots once their minTime has passed).</summary>
    FollowUp = 3,
}

/// <summary>Tailer → responders (competing consumers).</summary>
/// <param name="ObservedEscrowSequence">R's sequence number after the ledger, when the tailer could tell.</param>
/// <param name="TriggeredAt">When the trigger was emitted, for reaction-latency measurement.</param>
public sealed record TriggerChannel(
    ChannelId ChannelId,
    TriggerKind Kind,
    uint LedgerSequence,
    DateTimeOffset LedgerCloseTime,
    long? ObservedEscrowSequence,
    DateTimeOffset TriggeredAt);
