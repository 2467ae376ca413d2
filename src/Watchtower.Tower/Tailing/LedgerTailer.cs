using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Ledger;
using Watchtower.Tower.Detection;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;

namespace Watchtower.Tower.Tailing;

/// <summary>The lease was lost while tailing: another replica is the leader now.</summary>
public sealed class LeaseLostException : Exception
{
    public LeaseLostException() : base("the tailer lease was lost") { }

    public LeaseLostException(string message) : base(message) { }

    public LeaseLostException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The cursor is missing and nothing says where to resume: neither this process's memory, nor
/// Tower:Tailer:StartAfterLedger, nor a store this process has just created.
/// </summary>
public sealed class CursorLostException : Exception
{
    public CursorLostException() : base("cursor lost: set Tower:Tailer:StartAfterLedger") { }

    public CursorLostException(string message) : base(message) { }

    public CursorLostException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Reads closed ledgers in order from the persisted cursor and turns them into triggers: activity
/// on watched accounts, deadlines within reach, follow-ups that became due. The cursor advances
/// only after the ledger's triggers are confirmed by the broker, and only while this replica holds
/// the lease, so a crash or failover replays (never skips) a ledger; responders are idempotent.
/// A missing cursor (a wiped store) is never replaced by the network's latest ledger unless this
/// process has just created the store: see <see cref="StartingPointAsync"/>.
/// </summary>
public sealed class LedgerTailer
{
    private readonly ILedgerClient _ledger;
    private readonly ILease _lease;
    private readonly ITailerCursor _cursor;
    private readonly LedgerWatermark? _watermark;
    private readonly LedgerClock? _clock;
    private readonly WatchedIndexSync _index;
    private readonly IChannelStore _store;
    private readonly ITriggerPublisher _publisher;
    private readonly TowerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly TailerOptions _options;
    private readonly DeadlineOptions _deadline;
    private readonly StoreGuard _storeGuard;
    private readonly ILogger<LedgerTailer> _log;
    private readonly Dictionary<(ChannelId, ScheduleKind), ulong> _lastScheduledTrigger = [];
    private long _lastProgressTicks;
    private long _appliedLedger;
    // The last ledger this process applied and stored as the cursor (0: none): outlives a wiped store.
    private long _lastStoredCursor;
    private DateTimeOffset _lastLagCheck = DateTimeOffset.MinValue;

    /// <summary>
    /// How many of the earliest pending deadlines the deadline margin is taken over. The schedule is
    /// ordered by maxTime − D, so with one D for all channels the first is the minimum; the sample
    /// covers channels whose D differs.
    /// </summary>
    public const int DeadlineMarginSample = 16;

    /// <summary>How often the lag in ledgers is measured against the network's latest ledger (one extra request).</summary>
    private static readonly TimeSpan LagCheckInterval = TimeSpan.FromSeconds(10);

    public LedgerTailer(
        ILedgerClient ledger,
        ILease lease,
        ITailerCursor cursor,
        WatchedIndexSync index,
        IChannelStore store,
        ITriggerPublisher publisher,
        TowerMetrics metrics,
        TimeProvider time,
        IOptions<TailerOptions> options,
        IOptions<DeadlineOptions> deadline,
        TailerStatus status,
        StoreGuard storeGuard,
        ILogger<LedgerTailer> log,
        LedgerWatermark? watermark = null,
        LedgerClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(deadline);
        _ledger = ledger;
        _lease = lease;
        _cursor = cursor;
        _watermark = watermark;
        _clock = clock;
        _index = index;
        _store = store;
        _publisher = publisher;
        _metrics = metrics;
        _time = time;
        _options = options.Value;
        _deadline = deadline.Value;
        Status = status;
        _storeGuard = storeGuard;
        _log = log;
    }

    public TailerStatus Status { get; }

    /// <summary>Runs until cancelled: waits for the lease, tails while holding it, retries failures with capped backoff.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = new CappedBackoff(_options.RetryInitialDelay, _options.RetryMaxDelay, _time);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var lease = await _lease.TryAcquireAsync(ct).ConfigureAwait(false);
                if (lease is not { } token)
                {
                    _metrics.TailerLeader.Set(0);
                    // Only the leader measures the margin; 0 keeps a standby out of min(... != 0).
                    _metrics.DeadlineMargin.Set(0);
                    Status.Set(TailerState.Standby);
                    await Task.Delay(_options.StandbyPollInterval, _time, ct).ConfigureAwait(false);
                    continue;
                }

                _metrics.TailerLeader.Set(1);
                _log.LogInformation("Tailer holds the lease (token {Token})", token);
                try
                {
                    await LeadAsync(token, backoff, ct).ConfigureAwait(false);
                }
                catch (CursorLostException)
                {
                    await ReleaseQuietlyAsync(token).ConfigureAwait(false);
                    throw;
                }
                finally
                {
                    if (ct.IsCancellationRequested)
                    {
                        await ReleaseQuietlyAsync(token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (CursorLostException e)
            {
                // Give the lease up: a replica that knows the cursor (or created the store) can take over.
                _log.LogError("Tailer stopped: {Problem}", e.Message);
                _metrics.TailerLeader.Set(0);
                Status.Set(TailerState.Stalled, problem: e.Message);
                try
                {
                    await Delay(backoff.NextDelay(), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
            }
            catch (LeaseLostException)
            {
                _log.LogWarning("Tailer lost the lease");
                _metrics.TailerLeader.Set(0);
                Status.Set(TailerState.Standby);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.LogError(e, "Tailer failed; retrying");
                Status.Set(TailerState.Stalled, problem: e.Message);
                await Delay(backoff.NextDelay(), ct).ConfigureAwait(false);
            }
        }

        _metrics.TailerLeader.Set(0);
        Status.Set(TailerState.Standby);
    }

    /// <summary>While holding the lease: renew it, watch for stalls, and tail. Returns or throws when any of them stops.</summary>
    private async Task LeadAsync(FencingToken lease, CappedBackoff backoff, CancellationToken ct)
    {
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renew = RenewLoopAsync(lease, leading);
        var watchdog = WatchdogLoopAsync(leading);
        try
        {
            await TailAsync(lease, backoff, leading.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The renew loop lost the lease, or the watchdog saw a stall: both are reported below.
        }
        finally
        {
            await leading.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(renew, watchdog).ConfigureAwait(false);
        }

        ct.ThrowIfCancellationRequested();
        if (!await renew.ConfigureAwait(false))
        {
            throw new LeaseLostException();
        }
        // Stalled: restart the stream after a pause; the lease is still ours.
        await Delay(backoff.NextDelay(), ct).ConfigureAwait(false);
    }

    /// <summary>Renews every third of the TTL; on loss cancels the tail and returns false (true when stopped for another reason).</summary>
    private async Task<bool> RenewLoopAsync(FencingToken lease, CancellationTokenSource leading)
    {
        try
        {
            while (!leading.IsCancellationRequested)
            {
                await Task.Delay(_options.LeaseTtl / 3, _time, leading.Token).ConfigureAwait(false);
                bool renewed;
                try
                {
                    renewed = await _lease.RenewAsync(lease, leading.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Redis unreachable: keep trying until the TTL would have run out; the fenced cursor protects the rest.
                    _log.LogWarning(e, "Renewing the tailer lease failed");
                    continue;
                }
                if (!renewed)
                {
                    await leading.CancelAsync().ConfigureAwait(false);
                    return false;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        return true;
    }

    private async Task WatchdogLoopAsync(CancellationTokenSource leading)
    {
        MarkProgress();
        try
        {
            while (!leading.IsCancellationRequested)
            {
                await Task.Delay(_options.StallTimeout / 4, _time, leading.Token).ConfigureAwait(false);
                var idle = _time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastProgressTicks);
                if (idle > _options.StallTimeout.Ticks && !await NetworkIsIdleAsync(leading.Token).ConfigureAwait(false))
                {
                    _log.LogWarning("No ledger for {Idle}; restarting the stream", TimeSpan.FromTicks(idle));
                    Status.Set(TailerState.Stalled, problem: "no ledger within the stall timeout");
                    await leading.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// No ledger for a while is only a stall if the network has closed ledgers we have not seen: a
    /// network that closes on demand (or a halted one) is idle, and restarting the stream would
    /// not help. A failed check counts as a stall.
    /// </summary>
    private async Task<bool> NetworkIsIdleAsync(CancellationToken ct)
    {
        try
        {
            var latest = await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
            if (latest.Sequence > (uint)Interlocked.Read(ref _appliedLedger))
            {
                return false;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogWarning(e, "Checking the network's latest ledger failed");
            return false;
        }

        MarkProgress();
        return true;
    }

    private async Task TailAsync(FencingToken lease, CappedBackoff backoff, CancellationToken ct)
    {
        var cursor = await _cursor.GetAsync(ct).ConfigureAwait(false);
        if (cursor is null)
        {
            cursor = await StartingPointAsync(ct).ConfigureAwait(false);
            if (!await _cursor.AdvanceAsync(lease, cursor.Value, ct).ConfigureAwait(false))
            {
                throw new LeaseLostException();
            }
            Interlocked.Exchange(ref _lastStoredCursor, cursor.Value);
        }

        await _index.LoadAsync(ct).ConfigureAwait(false);
        Interlocked.Exchange(ref _appliedLedger, cursor.Value);
        _watermark?.Advance(cursor.Value);
        // At the network's head already (a fresh start, or a network that closes ledgers only on
        // demand): synced now, not only once the next ledger closes, which may take arbitrarily long.
        var head = (await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).Sequence;
        Status.Set(cursor >= head ? TailerState.Synced : TailerState.Syncing, cursor);
        _metrics.TailerCursor.Set(cursor.Value);

        await foreach (var ledger in _ledger.StreamLedgersAsync(cursor.Value, ct).ConfigureAwait(false))
        {
            var seq = ledger.Header.Sequence;
            if (seq <= cursor)
            {
                continue;
            }
            if (seq != cursor + 1)
            {
                // The client promises no gaps; refuse to advance past one rather than skip it.
                throw new LedgerClientException($"ledger stream jumped from {cursor} to {seq}");
            }

            await ProcessAsync(ledger, ct).ConfigureAwait(false);
            if (!await _cursor.AdvanceAsync(lease, seq, ct).ConfigureAwait(false))
            {
                throw new LeaseLostException();
            }

            cursor = seq;
            Interlocked.Exchange(ref _appliedLedger, seq);
            Interlocked.Exchange(ref _lastStoredCursor, seq);
            backoff.Reset();
            MarkProgress();
            _metrics.TailerCursor.Set(seq);
            _watermark?.Advance(seq);
            _metrics.LedgersProcessed.Inc();
            var lag = _time.GetUtcNow() - ledger.Header.CloseTime;
            _metrics.LedgerLagSeconds.Set(Math.Max(0, lag.TotalSeconds));
            await MeasureLagInLedgersAsync(seq, ct).ConfigureAwait(false);
            Status.Set(lag <= _options.SyncedLag ? TailerState.Synced : TailerState.Syncing, seq, ledger.Header.CloseTime);
        }
    }

    /// <summary>
    /// Where to resume when the store holds no cursor. In order: the last cursor this process
    /// stored (a wiped store: resuming right after it replays nothing twice and skips nothing, and
    /// no lookback would help, since the bundles went with the cursor; re-uploads are triggered at
    /// once instead), then Tower:Tailer:StartAfterLedger, then the network's latest ledger, but only
    /// for a store this process has just initialised. Anything else would silently skip ledgers
    /// that may hold a breach: the tailer stops and says so.
    /// </summary>
    private async Task<uint> StartingPointAsync(CancellationToken ct)
    {
        // Read the epoch again now: a wipe the periodic check has not seen yet must not pass for a new store.
        await _storeGuard.CheckAsync(ct).ConfigureAwait(false);
        if (Interlocked.Read(ref _lastStoredCursor) is > 0 and var known)
        {
            _log.LogWarning("The tailer cursor is missing from the store; writing back ledger {Ledger}, the last this process applied", known);
            _metrics.TailerCursorRestores.Inc();
            return (uint)known;
        }
        if (_options.StartAfterLedger is { } configured)
        {
            return configured;
        }
        if (_storeGuard.IsNewStore)
        {
            return (await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).Sequence;
        }
        throw new CursorLostException(_storeGuard.IsRecovering
            ? "cursor lost with the store epoch: set Tower:Tailer:StartAfterLedger (e.g. the last cursor the logs or watchtower_tailer_cursor_ledger show)"
            : "cursor lost: the store has an epoch but no tailer cursor; set Tower:Tailer:StartAfterLedger");
    }

    /// <summary>Publishes every trigger of one ledger (activity, due deadlines, due follow-ups) and waits for the broker.</summary>
    public async Task ProcessAsync(ClosedLedger ledger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        // The index must include every bundle accepted before this ledger is matched.
        await _index.CatchUpAsync(ct).ConfigureAwait(false);

        var header = ledger.Header;
        _clock?.Observe(header.CloseTime);
        var closeTime = (ulong)header.CloseTime.ToUnixTimeSeconds();
        var now = _time.GetUtcNow();
        var triggers = new List<TriggerChannel>();
        foreach (var channel in LedgerMatcher.Match(ledger, _index.Index))
        {
            triggers.Add(new TriggerChannel(channel, TriggerKind.Activity, header.Sequence, header.CloseTime, null, now));
        }
        var activity = triggers.Count;

        var margin = (ulong)_deadline.SafetyMargin.TotalSeconds;
        var due = await _store.DueAsync(closeTime + margin, _options.MaxDuePerLedger, ct).ConfigureAwait(false);
        var retrigger = (ulong)_options.RetriggerInterval.TotalSeconds;
        foreach (var item in due)
        {
            // Deadlines fire D + margin ahead (the store keeps maxTime − D); follow-ups exactly at their time.
            if (item.Kind == ScheduleKind.FollowUp && item.DueTime > closeTime)
            {
                continue;
            }
            var key = (item.ChannelId, item.Kind);
            if (_lastScheduledTrigger.TryGetValue(key, out var last) && closeTime < last + retrigger)
            {
                continue;
            }
            _lastScheduledTrigger[key] = closeTime;
            var kind = item.Kind == ScheduleKind.Deadline ? TriggerKind.Deadline : TriggerKind.FollowUp;
            triggers.Add(new TriggerChannel(item.ChannelId, kind, header.Sequence, header.CloseTime, null, now));
        }
        ForgetStaleThrottles(closeTime, retrigger);

        await _publisher.PublishAsync(triggers, ct).ConfigureAwait(false);
        _metrics.Triggers.WithLabels("activity").Inc(activity);
        _metrics.Triggers.WithLabels("deadline").Inc(triggers.Count(t => t.Kind == TriggerKind.Deadline));
        _metrics.Triggers.WithLabels("follow_up").Inc(triggers.Count(t => t.Kind == TriggerKind.FollowUp));
        await MeasureDeadlineMarginAsync(closeTime, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// watchtower_deadline_margin_min_seconds: the smallest maxTime − ledger time over channels whose
    /// deadline is still pending (a channel leaves the schedule once its latest ratchet is on the
    /// ledger, or when forgotten); 0 when none is.
    /// </summary>
    private async Task MeasureDeadlineMarginAsync(ulong closeTime, CancellationToken ct)
    {
        var earliest = await _store.EarliestDeadlinesAsync(DeadlineMarginSample, ct).ConfigureAwait(false);
        var records = await Task.WhenAll(earliest.Select(d => _store.GetAsync(d.ChannelId, ct))).ConfigureAwait(false);
        var margins = records.OfType<StoredChannel>().Select(r => (double)r.Metadata.RatchetMaxTime - closeTime).ToList();
        _metrics.DeadlineMargin.Set(margins.Count == 0 ? 0 : margins.Min());
    }

    private void ForgetStaleThrottles(ulong closeTime, ulong retrigger)
    {
        if (_lastScheduledTrigger.Count < 10_000)
        {
            return;
        }
        foreach (var (key, at) in _lastScheduledTrigger.ToList())
        {
            if (closeTime >= at + retrigger)
            {
                _lastScheduledTrigger.Remove(key);
            }
        }
    }

    private async Task MeasureLagInLedgersAsync(uint cursor, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (now - _lastLagCheck < LagCheckInterval)
        {
            return;
        }
        _lastLagCheck = now;
        try
        {
            var latest = await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
            _metrics.LedgerLagLedgers.Set(Math.Max(0, (long)latest.Sequence - cursor));
        }
        catch (Exception e) when (e is LedgerClientException or HttpRequestException or IOException)
        {
            _log.LogDebug(e, "Measuring the ledger lag failed");
        }
    }

    /// <summary>On shutdown, hands the lease over at once instead of letting it expire.</summary>
    private async Task ReleaseQuietlyAsync(FencingToken token)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
            await _lease.ReleaseAsync(token, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogWarning(e, "Releasing the tailer lease failed; it expires on its own");
        }
    }

    private void MarkProgress() => Interlocked.Exchange(ref _lastProgressTicks, _time.GetUtcNow().UtcTicks);

    private Task Delay(TimeSpan delay, CancellationToken ct) => Task.Delay(delay, _time, ct);
}
