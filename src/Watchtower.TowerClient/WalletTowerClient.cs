using MassTransit;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.TowerClient;

/// <summary>The tower a wallet uses: its public keys (as the operator publishes them) and its queues.</summary>
/// <param name="ReceiptKey">The ed25519 key the tower signs receipts and audit statements with.</param>
/// <param name="SealingKey">The X25519 key bundles are sealed to.</param>
/// <param name="Uploads">Where <see cref="UploadBundle"/> requests go.</param>
/// <param name="Audits">Where <see cref="AuditChannel"/> requests go.</param>
public sealed record TowerAddress(AccountId ReceiptKey, TowerPublicKey SealingKey, Uri Uploads, Uri Audits);

/// <summary>Timing of uploads: how long one request may take, and the backoff while the tower is unreachable.</summary>
public sealed record TowerClientOptions
{
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often each receipted channel is audited (the tower proves it still holds the round); null: never.</summary>
    public TimeSpan? AuditInterval { get; init; } = TimeSpan.FromMinutes(10);
}

public enum AuditStatus
{
    /// <summary>The tower signed that it holds the receipted round, with the receipted bundle's hash.</summary>
    Held,
    /// <summary>The tower signed that it holds nothing for the channel (e.g. its store was wiped): re-uploaded.</summary>
    NotHeld,
    /// <summary>The tower holds another round than the receipted one: re-uploaded.</summary>
    WrongRound,
    /// <summary>The tower holds other bytes than the receipted bundle: re-uploaded.</summary>
    WrongHash,
    /// <summary>The answer is not the tower's signed answer to this request (key, signature, nonce): re-uploaded.</summary>
    BadStatement,
    /// <summary>No answer in time: re-uploaded (the upload retries until the tower answers).</summary>
    Unreachable,
    /// <summary>The tower refused the audit (typed reason), e.g. rate limited: tried again at the next audit.</summary>
    Rejected,
    /// <summary>The tower's store epoch differs from the one an earlier audit saw (its store was wiped or replaced): re-uploaded, since what it holds may be a partial restore.</summary>
    StoreReplaced,
}

/// <summary>What one audit of one channel found; <paramref name="Reuploaded"/> when the latest bundle was queued again.</summary>
public sealed record AuditOutcome(ChannelId Channel, ulong Round, AuditStatus Status, bool Reuploaded, string? Problem);

public enum UploadStatus
{
    /// <summary>The tower holds the round: its receipt verified against the tower's key, the channel and the round (the bundle hash is an earlier sealing's when the round was resent).</summary>
    Accepted,
    /// <summary>The tower refused the bundle (typed reason); retried only for a subscription it does not hold yet.</summary>
    Rejected,
    /// <summary>The tower answered, but its receipt does not cover this bundle or is not the tower's.</summary>
    ReceiptRefused,
    /// <summary>No answer (broker down, tower down, timeout): retried after <see cref="UploadOutcome.RetryIn"/> unless a newer round supersedes it.</summary>
    Unreachable,
}

/// <summary>What became of one upload attempt; <paramref name="RetryIn"/> is set when the bundle is sent again after that delay.</summary>
public sealed record UploadOutcome(ChannelId Channel, ulong Round, int SealedBytes, UploadStatus Status, BundleReceipt? Receipt, RejectionReason? Reason, string? Problem, TimeSpan? RetryIn);

/// <summary>
/// A wallet's client of one tower over the bus. As the channel runtime's <see cref="IBundleSink"/>
/// it seals each completed round's bundle and queues it; a background loop uploads, verifies the
/// signed receipt, and while the tower is unreachable retries with a doubling, capped backoff.
/// Only the latest round of a channel matters to the tower, so a newer round replaces a queued
/// older one. Every attempt is reported to <c>report</c> (called from the loop; keep it quick).
/// Every <see cref="TowerClientOptions.AuditInterval"/> it asks the tower to prove it still holds
/// each receipted round and re-uploads the bundle when the proof is missing or wrong (reported to <c>audited</c>).
/// </summary>
public sealed class WalletTowerClient : IBundleSink, IAsyncDisposable
{
    private readonly IBus _bus;
    private readonly TowerAddress _tower;
    private readonly Guid _subscription;
    private readonly KeyPair _identity;
    private readonly TimeProvider _time;
    private readonly TowerClientOptions _options;
    private readonly Action<UploadOutcome> _report;
    private readonly Dictionary<ChannelId, SealedBundle> _queued = [];
    private readonly List<TaskCompletionSource> _idleWaiters = [];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<ChannelId, (SealedBundle Latest, BundleReceipt? Receipt)> _channels = [];
    private readonly Action<AuditOutcome> _audited;
    private readonly Task _loop;
    private readonly Task _auditLoop;
    private bool _busy;
    private string? _storeEpoch;

    public WalletTowerClient(IBus bus, TowerAddress tower, Guid subscription, KeyPair walletIdentity, TimeProvider time, TowerClientOptions options,
        Action<UploadOutcome> report, Action<AuditOutcome>? audited = null)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(tower);
        ArgumentNullException.ThrowIfNull(walletIdentity);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(report);
        _bus = bus;
        _tower = tower;
        _subscription = subscription;
        _identity = walletIdentity;
        _time = time;
        _options = options;
        _report = report;
        _audited = audited ?? (_ => { });
        _loop = Task.Run(() => UploadLoopAsync(_stop.Token));
        _auditLoop = options.AuditInterval is { } interval ? Task.Run(() => AuditLoopAsync(interval, _stop.Token)) : Task.CompletedTask;
    }

    public Guid Subscription => _subscription;

    /// <summary>Seal the round's bundle and queue it (the close round has none); returns at once, the upload happens in the background.</summary>
    public Task PublishAsync(ChannelBundle bundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.ToTowerBundle() is { } towerBundle)
        {
            Queue(BundleSealer.Seal(towerBundle, _tower.SealingKey, _identity));
        }

        return Task.CompletedTask;
    }

    /// <summary>Queue a sealed bundle, replacing an older round of the same channel still waiting.</summary>
    public void Queue(SealedBundle sealedBundle)
    {
        ArgumentNullException.ThrowIfNull(sealedBundle);
        lock (_gate)
        {
            if (_queued.TryGetValue(sealedBundle.ChannelId, out var waiting) && waiting.Round > sealedBundle.Round)
            {
                return;
            }

            _queued[sealedBundle.ChannelId] = sealedBundle;
            if (!_channels.TryGetValue(sealedBundle.ChannelId, out var known) || known.Latest.Round < sealedBundle.Round)
            {
                _channels[sealedBundle.ChannelId] = (sealedBundle, known.Receipt);
            }
        }

        _wake.Release();
    }

    /// <summary>Completes once nothing is queued or in flight (every queued round got an answer from the tower).</summary>
    public Task WhenIdleAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_queued.Count == 0 && !_busy)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _idleWaiters.Add(waiter);
            return waiter.Task.WaitAsync(ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _auditLoop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task UploadLoopAsync(CancellationToken ct)
    {
        var backoff = _options.FirstRetry;
        try
        {
            while (true)
            {
                await _wake.WaitAsync(ct).ConfigureAwait(false);
                SealedBundle? next;
                lock (_gate)
                {
                    next = _queued.Values.FirstOrDefault();
                    if (next is not null)
                    {
                        _queued.Remove(next.ChannelId);
                        _busy = true;
                    }
                }

                if (next is null)
                {
                    continue;
                }

                var outcome = await UploadAsync(next, backoff, ct).ConfigureAwait(false);
                if (outcome.RetryIn is { } delay)
                {
                    lock (_gate)
                    {
                        // Put it back unless a newer round of the channel arrived meanwhile.
                        _queued.TryAdd(next.ChannelId, next);
                    }

                    // The wait starts before it is reported, so whoever hears the report can move the clock past it.
                    var wait = Task.Delay(delay, _time, ct);
                    _report(outcome);
                    await wait.ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxRetry.Ticks));
                    _wake.Release();
                }
                else
                {
                    backoff = _options.FirstRetry;
                    if (outcome is { Status: UploadStatus.Accepted, Receipt: { } receipt })
                    {
                        lock (_gate)
                        {
                            if (_channels.TryGetValue(next.ChannelId, out var known) && known.Latest.Round == receipt.Round)
                            {
                                _channels[next.ChannelId] = (known.Latest, receipt);
                            }
                        }
                    }
                    _report(outcome);
                }

                lock (_gate)
                {
                    _busy = false;
                    if (_queued.Count == 0)
                    {
                        foreach (var waiter in _idleWaiters)
                        {
                            waiter.TrySetResult();
                        }

                        _idleWaiters.Clear();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // disposed
        }
    }

    /// <summary>
    /// Worth sending again: no answer, or a subscription the tower does not hold yet (registering
    /// is a one-way message on another queue, so the first upload can overtake it).
    /// </summary>
    private static bool Retried(UploadStatus status, RejectionReason? reason) =>
        status == UploadStatus.Unreachable || reason is RejectionReason.UnknownSubscription or RejectionReason.RateLimited;

    private async Task AuditLoopAsync(TimeSpan interval, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, _time, ct).ConfigureAwait(false);
                await AuditAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // disposed
        }
    }

    /// <summary>
    /// Audits every channel whose latest round has a receipt, once: asks the tower for its signed
    /// statement, checks it against the receipt, re-uploads the latest bundle when it does not
    /// match, and reports each outcome (also returned).
    /// </summary>
    public async Task<IReadOnlyList<AuditOutcome>> AuditAsync(CancellationToken ct)
    {
        List<(SealedBundle Latest, BundleReceipt Receipt)> receipted;
        lock (_gate)
        {
            receipted = [.. _channels.Values.Where(c => c.Receipt is not null && c.Receipt.Round == c.Latest.Round).Select(c => (c.Latest, c.Receipt!))];
        }

        var outcomes = new List<AuditOutcome>(receipted.Count);
        foreach (var (latest, receipt) in receipted)
        {
            var (status, problem) = await AuditOneAsync(receipt, ct).ConfigureAwait(false);
            var reupload = status is not (AuditStatus.Held or AuditStatus.Rejected);
            if (reupload)
            {
                Queue(latest);
            }

            var outcome = new AuditOutcome(latest.ChannelId, latest.Round, status, reupload, problem);
            _audited(outcome);
            outcomes.Add(outcome);
        }

        return outcomes;
    }

    private async Task<(AuditStatus Status, string? Problem)> AuditOneAsync(BundleReceipt receipt, CancellationToken ct)
    {
        var request = AuditSignature.Request(_subscription, receipt.ChannelId, _identity);
        using var limit = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        try
        {
            var client = _bus.CreateRequestClient<AuditChannel>(_tower.Audits, RequestTimeout.After(ms: (int)_options.RequestTimeout.TotalMilliseconds));
            var response = await client.GetResponse<ChannelAudited, BundleRejected>(request, linked.Token).ConfigureAwait(false);
            if (response.Is(out Response<BundleRejected>? rejected))
            {
                return (AuditStatus.Rejected, $"audit refused: {rejected.Message.Reason} {rejected.Message.Detail}".TrimEnd());
            }

            if (!response.Is(out Response<ChannelAudited>? answered) || !AuditSignature.IsValidAnswer(answered.Message, request, _tower.ReceiptKey))
            {
                return (AuditStatus.BadStatement, "the answer is not the tower's signed statement for this request");
            }

            var statement = answered.Message;
            string? previousEpoch;
            lock (_gate)
            {
                previousEpoch = _storeEpoch;
                if (statement.StoreEpoch.Length > 0)
                {
                    _storeEpoch = statement.StoreEpoch;
                }
            }
            if (previousEpoch is not null && statement.StoreEpoch.Length > 0 && statement.StoreEpoch != previousEpoch)
            {
                return (AuditStatus.StoreReplaced, $"the tower's store epoch changed from {previousEpoch} to {statement.StoreEpoch}");
            }
            return !statement.Held ? (AuditStatus.NotHeld, "the tower says it does not hold the channel")
                : statement.Round != receipt.Round ? (AuditStatus.WrongRound, $"the tower holds round {statement.Round}, the receipt is for round {receipt.Round}")
                : !statement.BundleHash.AsSpan().SequenceEqual(receipt.BundleHash.Bytes) ? (AuditStatus.WrongHash, "the tower holds other bytes than the receipted bundle")
                : (AuditStatus.Held, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (AuditStatus.Unreachable, $"tower unreachable: no audit answer within {_options.RequestTimeout.TotalSeconds} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (AuditStatus.Unreachable, "tower unreachable: " + e.Message);
        }
    }

    private async Task<UploadOutcome> UploadAsync(SealedBundle sealedBundle, TimeSpan retry, CancellationToken ct)
    {
        var bytes = sealedBundle.ToArray();
        UploadOutcome Outcome(UploadStatus status, BundleReceipt? receipt = null, RejectionReason? reason = null, string? problem = null) =>
            new(sealedBundle.ChannelId, sealedBundle.Round, bytes.Length, status, receipt, reason, problem, Retried(status, reason) ? retry : null);
        // The bus's request timeout starts once the request is sent; a bus still waiting for its
        // broker never sends, so the whole exchange gets the same limit.
        using var limit = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        try
        {
            var client = _bus.CreateRequestClient<UploadBundle>(_tower.Uploads, RequestTimeout.After(ms: (int)_options.RequestTimeout.TotalMilliseconds));
            var response = await client.GetResponse<BundleAccepted, BundleRejected>(new UploadBundle(_subscription, bytes), linked.Token).ConfigureAwait(false);
            if (response.Is(out Response<BundleAccepted>? accepted))
            {
                var receipt = accepted.Message.ToReceipt();
                var check = ReceiptVerifier.Check(receipt, _tower.ReceiptKey, sealedBundle);
                // BundleMismatch comes last: the tower signed that it holds this very round of this
                // channel, from an earlier upload of ours (each sealing draws a fresh nonce, and only
                // our signature gets a bundle in). A resent round gets that receipt back.
                return check is ReceiptCheck.Valid or ReceiptCheck.BundleMismatch
                    ? Outcome(UploadStatus.Accepted, receipt)
                    : Outcome(UploadStatus.ReceiptRefused, problem: $"receipt refused: {check}");
            }

            if (response.Is(out Response<BundleRejected>? rejected))
            {
                var r = rejected.Message;
                return Outcome(UploadStatus.Rejected, reason: r.Reason, problem: $"rejected: {r.Reason}{(r.Problem == ContentProblem.None ? "" : " " + r.Problem)} {r.Detail}".TrimEnd());
            }

            return Outcome(UploadStatus.ReceiptRefused, problem: "unexpected response");
        }
        catch (FormatException e)
        {
            return Outcome(UploadStatus.ReceiptRefused, problem: "garbled receipt: " + e.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Outcome(UploadStatus.Unreachable, problem: $"tower unreachable: no answer within {_options.RequestTimeout.TotalSeconds} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Timeout, broker down, bus not started yet: the same bytes are worth sending again later.
            return Outcome(UploadStatus.Unreachable, problem: "tower unreachable: " + e.Message);
        }
    }
}
