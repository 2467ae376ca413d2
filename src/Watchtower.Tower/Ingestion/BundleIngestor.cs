using Watchtower.Contracts;
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
/// The upload pipeline, transport-agnostic: parse, authenticate, check the subscription, decrypt,
/// validate, store by compare-and-set, receipt. Every refusal is typed and counted; infrastructure
/// failures (Redis down) propagate so the transport retries and nothing is acknowledged early.
/// </summary>
public sealed class BundleIngestor
{
    private readonly IChannelStore _store;
    private readonly TowerIdentity _identity;
    private readonly IAcceptingLedgerSource _ledger;
    private readonly TowerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly StoreGuard? _storeGuard;
    private readonly RecoveryTrigger? _recovery;

    /// <param name="storeGuard">When given, nothing is receipted on a store it refuses (not persisting).</param>
    /// <param name="recovery">When given, channels stored again after a store loss are triggered at once.</param>
    public BundleIngestor(IChannelStore store, TowerIdentity identity, IAcceptingLedgerSource ledger, TowerMetrics metrics, TimeProvider time,
        StoreGuard? storeGuard = null, RecoveryTrigger? recovery = null)
    {
        _store = store;
        _identity = identity;
        _ledger = ledger;
        _metrics = metrics;
        _time = time;
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
            var bundle = BundleSealer.Open(sealedBundle, _identity.SealingKey);
            BundleValidator.Validate(bundle, _identity.Network);

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
                case StoreOutcome.Stored or StoreOutcome.Replaced or StoreOutcome.Unchanged:
                    if (_recovery is not null)
                    {
                        await _recovery.AfterStoredAsync(bundle.ChannelId, result.Outcome, ct).ConfigureAwait(false);
                    }
                    _metrics.BundlesAccepted.Inc();
                    _metrics.BundleBytes.Observe(sealedBytes.Length);
                    return new IngestResult.Accepted(result.Receipt!, result.Outcome);
                case StoreOutcome.Stale:
                    throw new BundleRejectedException(RejectionReason.StaleRound, $"round {result.StoredRound} is already stored");
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

    /// <summary>Authenticates and applies a forget request; a refusal is returned, not thrown.</summary>
    public async Task<IngestResult.Rejected?> ForgetAsync(Contracts.Messages.ForgetChannel request, CancellationToken ct)
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
            var stored = await _store.GetAsync(request.ChannelId, ct).ConfigureAwait(false);
            if (stored is not null && stored.Metadata.SubscriptionId != subscription.Id)
            {
                throw new BundleRejectedException(RejectionReason.ChannelConflict, "the channel is held by another subscription");
            }
            await _store.ForgetAsync(request.ChannelId, request.UpToRound, ct).ConfigureAwait(false);
            return null;
        }
        catch (BundleRejectedException e)
        {
            return Reject(e, request.ChannelId, request.UpToRound);
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

    /// <summary>Counts a refusal decided outside the pipeline (e.g. an unparseable operator command).</summary>
    public void CountRejection(RejectionReason reason) => _metrics.BundlesRejected.WithLabels(reason.ToLabel()).Inc();
}
