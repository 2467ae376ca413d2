namespace Watchtower.Contracts.Messages;

// Message records are wire contracts (MassTransit, System.Text.Json): keys travel as StrKey
// strings, binary as byte[] (base64 in JSON), times as DateTimeOffset. Convert to the strong
// types at the edge (see the ToXxx helpers on each record).

/// <summary>
/// Operator → tower (request; the reply is <see cref="SubscriptionChanged"/> or <see cref="BundleRejected"/>):
/// create a subscription, or update one. Signed by the tower's operator key over
/// <see cref="OperatorCommands.RegisterPayload"/>; a wallet can never send one. An existing
/// subscription's wallet key is replaced only when <paramref name="ReplaceWalletKey"/> is set
/// (key rotation), otherwise a different key is refused as <see cref="RejectionReason.WalletKeyConflict"/>.
/// </summary>
/// <param name="WalletKey">The wallet's ed25519 identity key (G…) that signs its uploads.</param>
/// <param name="IssuedAt">Must be later than that of the last operator command applied to the subscription, so an old command replayed cannot roll it back.</param>
/// <param name="Signature">The operator key's ed25519 signature.</param>
public sealed record RegisterSubscription(
    Guid SubscriptionId, string WalletKey, int MaxChannels, long MaxBytes, DateTimeOffset ExpiresAt,
    bool ReplaceWalletKey, DateTimeOffset IssuedAt, byte[] Signature);

/// <summary>
/// Operator → tower (request, replies as <see cref="RegisterSubscription"/>): extend a subscription
/// and optionally change its quota. Signed by the operator key over <see cref="OperatorCommands.RenewPayload"/>.
/// </summary>
public sealed record RenewSubscription(
    Guid SubscriptionId, DateTimeOffset ExpiresAt, int? MaxChannels, long? MaxBytes, DateTimeOffset IssuedAt, byte[] Signature);

/// <summary>
/// Wallet → tower (request; the reply is <see cref="BundleAccepted"/> or <see cref="BundleRejected"/>):
/// a sealed bundle, see <see cref="SealedBundle"/>.
/// </summary>
public sealed record UploadBundle(Guid SubscriptionId, byte[] SealedBundle);

/// <summary>
/// Wallet → tower (request; the reply is <see cref="ChannelForgotten"/> or <see cref="BundleRejected"/>):
/// stop watching a channel and free its storage. Signed by the wallet identity
/// key over <see cref="ForgetChannelSignature.Payload"/>; only rounds ≤ <paramref name="UpToRound"/>
/// are forgotten, so a replayed request cannot erase a later upload.
/// </summary>
public sealed record ForgetChannel(Guid SubscriptionId, ChannelId ChannelId, ulong UpToRound, byte[] Signature);

/// <summary>
/// Wallet → tower (request; the reply is <see cref="ChannelAudited"/> or <see cref="BundleRejected"/>):
/// "prove you hold my channel". Signed by the wallet key over <see cref="AuditSignature.RequestPayload"/>;
/// <paramref name="Nonce"/> is fresh per request so an old statement cannot be replayed as an answer.
/// </summary>
public sealed record AuditChannel(Guid SubscriptionId, ChannelId ChannelId, byte[] Nonce, byte[] Signature);

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
