using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;

namespace Watchtower.Tower.Ingestion;

/// <summary>The answer to an upload: a receipt, or a typed refusal.</summary>
public abstract record IngestResult
{
    public sealed record Accepted(BundleReceipt Receipt, StoreOutcome Outcome) : IngestResult;

    public sealed record Rejected(RejectionReason Reason, ContentProblem Problem, string Detail, ChannelId? ChannelId, ulong? Round) : IngestResult;
}

/// <summary>
/// The wallet and operator requests, transport-agnostic. Uploads: parse (size, structure), look
/// up the subscription, verify the wallet's signature, charge the subscription's rate limit, and
/// only then decrypt, validate, store by compare-and-set, receipt: the cheap checks first, so
/// garbage and floods cost little. Every refusal is typed and counted; infrastructure failures
/// (Redis down) propagate so the transport retries and nothing is acknowledged early.
/// </summary>
public sealed class BundleIngestor
{
    // Optimistic writes of one subscription lose only to a concurrent command on it; a few tries settle it.
    private const int SubscriptionWriteAttempts = 5;
    private readonly IChannelStore _store;
    private readonly TowerIdentity _identity;
    private readonly IAcceptingLedgerSource _ledger;
    private readonly TowerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly SubscriptionRateLimiter _limiter;
    private readonly OperatorAuthority _operator;
    private readonly StoreGuard? _storeGuard;
    private readonly RecoveryTrigger? _recovery;

    /// <param name="storeGuard">When given, nothing is receipted on a store it refuses (not persisting).</param>
    /// <param name="recovery">When given, channels stored again after a store loss are triggered at once.</param>
    public BundleIngestor(IChannelStore store, TowerIdentity identity, IAcceptingLedgerSource ledger, TowerMetrics metrics, TimeProvider time,
        SubscriptionRateLimiter limiter, OperatorAuthority operatorAuthority, StoreGuard? storeGuard = null, RecoveryTrigger? recovery = null)
    {
        _store = store;
        _identity = identity;
        _ledger = ledger;
        _metrics = metrics;
        _time = time;
        _limiter = limiter;
        _operator = operatorAuthority;
        _storeGuard = storeGuard;
        _recovery = recovery;
    }

    public async Task<IngestResult> IngestAsync(Guid subscriptionId, ReadOnlyMemory<byte> sealedBytes, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        SealedBundle? sealedBundle = null;
        try
        {
            sealedBundle = SealedBundle.Parse(sealedBytes.Span);
            var subscription = await AuthorizeAsync(subscriptionId, ct).ConfigureAwait(false);
            if (!sealedBundle.IsSignedBy(subscription.WalletKey))
            {
                throw new BundleRejectedException(RejectionReason.BadSignature, "the envelope is not signed by the subscription's wallet key");
            }
            Charge(subscription.Id);
            var bundle = BundleSealer.Open(sealedBundle, _identity.SealingKey);
            BundleChecks.Validate(bundle, _identity.Network);

            await CheckContinuityAsync(bundle, ct).ConfigureAwait(false);

            if (_storeGuard is { AcceptsReceipts: false })
            {
                // A receipt promises the bundle survives a restart: not on this store.
                throw new StoreNotDurableException(_storeGuard.Problem ?? "the store has not been checked yet");
            }
            var receipt = BundleReceipt.Issue(_identity.ReceiptKey, bundle.ChannelId, bundle.Round, sealedBundle.Hash, _ledger.LatestLedger);
            StoreResult result;
            try
            {
                result = await _store.StoreAsync(subscription, ChannelMetadata.Of(bundle, subscription.Id), receipt, sealedBytes, ct).ConfigureAwait(false);
            }
            catch (StoreReplicationException)
            {
                _metrics.StoreReplicationFailures.Inc();
                throw;
            }
            switch (result.Outcome)
            {
                case StoreOutcome.Stored or StoreOutcome.Replaced or StoreOutcome.Unchanged or StoreOutcome.TakenOver:
                    if (_recovery is not null)
                    {
                        await _recovery.AfterStoredAsync(bundle.ChannelId, result.Outcome, ct).ConfigureAwait(false);
                    }
                    if (result.Outcome == StoreOutcome.TakenOver)
                    {
                        _metrics.ChannelTakeovers.Inc();
                    }
                    _metrics.BundlesAccepted.Inc();
                    _metrics.BundleBytes.Observe(sealedBytes.Length);
                    return new IngestResult.Accepted(result.Receipt!, result.Outcome);
                case StoreOutcome.Stale:
                    throw new BundleRejectedException(RejectionReason.StaleRound, $"round {result.StoredRound} is already stored, or the channel was closed at it");
                case StoreOutcome.Conflict:
                    throw new BundleRejectedException(RejectionReason.ChannelConflict, "the channel is held by another subscription");
                default:
                    throw new BundleRejectedException(RejectionReason.QuotaExceeded,
                        $"the subscription allows {subscription.MaxChannels} channels and {subscription.MaxBytes} bytes");
            }
        }
        catch (BundleRejectedException e)
        {
            return Reject(e, sealedBundle?.ChannelId, sealedBundle?.Round);
        }
        finally
        {
            // Every attempt counts, accepted, refused or failed on infrastructure.
            _metrics.IngestDuration.Observe(_time.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>Authenticates and applies a forget request: the reply, or a refusal.</summary>
    public async Task<(ChannelForgotten? Forgotten, IngestResult.Rejected? Rejected)> ForgetAsync(ForgetChannel request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var subscription = await _store.GetSubscriptionAsync(request.SubscriptionId, ct).ConfigureAwait(false)
                ?? throw new BundleRejectedException(RejectionReason.UnknownSubscription, $"no subscription {request.SubscriptionId}");
            if (!ForgetChannelSignature.IsSignedBy(request, subscription.WalletKey))
            {
                throw new BundleRejectedException(RejectionReason.BadSignature, "the forget request is not signed by the subscription's wallet key");
            }
            Charge(subscription.Id);
            var stored = await _store.GetAsync(request.ChannelId, ct).ConfigureAwait(false);
            if (stored is not null && stored.Metadata.SubscriptionId != subscription.Id)
            {
                throw new BundleRejectedException(RejectionReason.ChannelConflict, "the channel is held by another subscription");
            }
            if (stored is null)
            {
                return (new ChannelForgotten(request.SubscriptionId, request.ChannelId, request.UpToRound, false), null);
            }
            // Never above the round whose ownership was just checked: a higher round stored meanwhile
            // (another subscription's takeover) keeps its record and its index entries.
            var upTo = Math.Min(request.UpToRound, stored.Metadata.Round);
            var outcome = await _store.ForgetAsync(request.ChannelId, upTo, ct).ConfigureAwait(false);
            return (new ChannelForgotten(request.SubscriptionId, request.ChannelId, request.UpToRound, outcome == ForgetOutcome.Forgotten), null);
        }
        catch (BundleRejectedException e)
        {
            return (null, Reject(e, request.ChannelId, request.UpToRound));
        }
    }

    /// <summary>
    /// Answers a wallet's audit from the stored bytes: a statement signed by the receipt key over the
    /// stored round and the SHA-256 of the stored sealed bundle, or "not held". A channel held by
    /// another subscription is "not held" for this one (its owner's round is none of its business).
    /// </summary>
    public async Task<(ChannelAudited? Statement, IngestResult.Rejected? Rejected)> AuditAsync(AuditChannel request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var subscription = await _store.GetSubscriptionAsync(request.SubscriptionId, ct).ConfigureAwait(false)
                ?? throw new BundleRejectedException(RejectionReason.UnknownSubscription, $"no subscription {request.SubscriptionId}");
            if (!AuditSignature.IsSignedBy(request, subscription.WalletKey))
            {
                throw new BundleRejectedException(RejectionReason.BadSignature, "the audit request is not signed by the subscription's wallet key");
            }
            Charge(subscription.Id);
            var stored = await _store.GetAsync(request.ChannelId, ct).ConfigureAwait(false);
            var held = stored is not null && stored.Metadata.SubscriptionId == subscription.Id;
            _metrics.Audits.WithLabels(held ? "held" : "not_held").Inc();
            // The store's lifetime id in the signed statement: a wallet sees a wiped or replaced store even for a channel still held.
            var epoch = (await _store.GetEpochAsync(ct).ConfigureAwait(false))?.Id.ToString("N") ?? "";
            return (AuditSignature.Statement(_identity.ReceiptKey, request, stored?.Metadata.Round ?? 0,
                held ? stored!.SealedBundle.Span : default, held, epoch), null);
        }
        catch (BundleRejectedException e)
        {
            return (null, Reject(e, request.ChannelId, null));
        }
    }

    /// <summary>Applies an operator registration: the subscription as now held, or a refusal.</summary>
    public async Task<(Subscription? Applied, IngestResult.Rejected? Rejected)> RegisterAsync(RegisterSubscription command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            if (command.WalletKey is null || !AccountId.TryParse(command.WalletKey, out var walletKey))
            {
                throw new BundleRejectedException(RejectionReason.Malformed, "the wallet key is not a G… key");
            }
            if (_operator.Key is not { } operatorKey || !OperatorCommands.IsSignedBy(command, operatorKey, _identity.ReceiptKey.AccountId))
            {
                throw new BundleRejectedException(RejectionReason.NotAuthorized, "not signed by this tower's operator key");
            }
            return (await WriteSubscriptionAsync(command.SubscriptionId, current => SubscriptionRules.Register(current, command, walletKey), ct).ConfigureAwait(false), null);
        }
        catch (BundleRejectedException e)
        {
            return (null, Reject(e, null, null));
        }
    }

    /// <summary>Applies an operator renewal: the subscription as now held, or a refusal.</summary>
    public async Task<(Subscription? Applied, IngestResult.Rejected? Rejected)> RenewAsync(RenewSubscription command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            if (_operator.Key is not { } operatorKey || !OperatorCommands.IsSignedBy(command, operatorKey, _identity.ReceiptKey.AccountId))
            {
                throw new BundleRejectedException(RejectionReason.NotAuthorized, "not signed by this tower's operator key");
            }
            return (await WriteSubscriptionAsync(command.SubscriptionId, current => SubscriptionRules.Renew(current, command), ct).ConfigureAwait(false), null);
        }
        catch (BundleRejectedException e)
        {
            return (null, Reject(e, null, null));
        }
    }

    private async Task<Subscription> WriteSubscriptionAsync(
        Guid id, Func<Subscription?, (Subscription? Next, RejectionReason Reason, string Detail)> rule, CancellationToken ct)
    {
        for (var attempt = 0; attempt < SubscriptionWriteAttempts; attempt++)
        {
            var current = await _store.GetSubscriptionAsync(id, ct).ConfigureAwait(false);
            var (next, reason, detail) = rule(current);
            if (next is null)
            {
                throw new BundleRejectedException(reason, detail);
            }
            if (await _store.TryPutSubscriptionAsync(next, current?.LastCommandAt ?? -1, ct).ConfigureAwait(false))
            {
                return next;
            }
        }
        throw new BundleRejectedException(RejectionReason.ReplayedCommand, "other commands on this subscription kept winning; send it again");
    }

    private void Charge(Guid subscription)
    {
        if (!_limiter.TryTake(subscription))
        {
            throw new BundleRejectedException(RejectionReason.RateLimited, "this subscription is over its request rate; retry later");
        }
    }

    // Across rounds r_j = r_0 + j(n + 1) with the same n: a later round whose bump target breaks
    // that line is a wallet bug that would leave the tower holding an unusable ratchet.
    private async Task CheckContinuityAsync(Bundle bundle, CancellationToken ct)
    {
        var stored = (await _store.GetAsync(bundle.ChannelId, ct).ConfigureAwait(false))?.Metadata;
        if (stored is null || stored.Round >= bundle.Round)
        {
            return;
        }
        var expected = stored.RatchetTarget + checked((long)(bundle.Round - stored.Round) * (stored.Participants + 1));
        if (stored.Participants != bundle.Participants || bundle.RatchetTarget != expected)
        {
            throw BundleRejectedException.Invalid(ContentProblem.BumpTargetMismatch,
                $"round {bundle.Round} bumps R to {bundle.RatchetTarget}; from stored round {stored.Round} (r = {stored.RatchetTarget}, n = {stored.Participants}) it must be {expected}");
        }
    }

    private async Task<Subscription> AuthorizeAsync(Guid subscriptionId, CancellationToken ct)
    {
        var subscription = await _store.GetSubscriptionAsync(subscriptionId, ct).ConfigureAwait(false)
            ?? throw new BundleRejectedException(RejectionReason.UnknownSubscription, $"no subscription {subscriptionId}");
        return subscription.IsExpiredAt(_time.GetUtcNow())
            ? throw new BundleRejectedException(RejectionReason.SubscriptionExpired, $"subscription expired at {subscription.ExpiresAt:O}")
            : subscription;
    }

    private IngestResult.Rejected Reject(BundleRejectedException e, ChannelId? channelId, ulong? round)
    {
        _metrics.BundlesRejected.WithLabels(e.Reason.ToLabel()).Inc();
        return new IngestResult.Rejected(e.Reason, e.Problem, e.Detail, channelId, round);
    }
}
