using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Watchtower.Tower.Observability;

namespace Watchtower.Tower.Storage;

/// <summary>
/// Checks that the store keeps what it receipts. At start, on every Redis reconnect and every
/// <see cref="StoreOptions.EpochCheckInterval"/> it reads the server's persistence and the store
/// epoch. A store that does not persist is refused (not ready, no receipts) unless
/// <see cref="StoreOptions.AllowNonDurable"/>; the in-memory store of the embedded demo is
/// non-durable by definition and accepted. An epoch that vanished or changed since this process
/// joined it means the store was wiped or replaced: the process writes a new epoch that records
/// the lost one, and the tower stays not ready for <see cref="StoreOptions.RecoveryWindow"/> while
/// wallets re-upload (every channel stored again in that window is triggered once, see
/// <see cref="IsRecovering"/>).
/// </summary>
public sealed class StoreGuard : BackgroundService
{
    private readonly IChannelStore _store;
    private readonly StoreOptions _options;
    private readonly TowerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<StoreGuard> _log;
    private readonly IConnectionMultiplexer? _redis;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<bool> _checkNow = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private volatile GuardState _state = new(null, null, false, null, null, "store not checked yet");

    /// <param name="Persistence">The last persistence read; null before the first check.</param>
    /// <param name="Joined">The epoch this process works in.</param>
    /// <param name="CreatedEmptyStore">This process initialised the epoch of an empty store (the only case where the tailer may start at the network's latest ledger).</param>
    /// <param name="RecoveringUntil">End of the recovery window after an epoch loss.</param>
    /// <param name="Loss">What was lost, for the readiness line.</param>
    /// <param name="CheckProblem">Why no check has succeeded yet.</param>
    private sealed record GuardState(StorePersistence? Persistence, StoreEpoch? Joined, bool CreatedEmptyStore,
        DateTimeOffset? RecoveringUntil, string? Loss, string? CheckProblem);

    public StoreGuard(IChannelStore store, IOptions<StoreOptions> options, TowerMetrics metrics, TimeProvider time,
        ILogger<StoreGuard> log, IConnectionMultiplexer? redis = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _log = log;
        _redis = redis;
        if (_redis is not null)
        {
            _redis.ConnectionRestored += OnConnectionRestored;
        }
    }

    /// <summary>The epoch this process joined (null before the first successful check).</summary>
    public StoreEpoch? Epoch => _state.Joined;

    /// <summary>This process created the epoch of an empty store at its start, and no loss was seen since.</summary>
    public bool IsNewStore => _state.CreatedEmptyStore;

    /// <summary>Uploads may be receipted: the store persists, or non-durable use is allowed (or it is the embedded in-memory store).</summary>
    public bool AcceptsReceipts => _state.Persistence is { } p && Accepted(p);

    /// <summary>Within the recovery window of an epoch loss (seen by this process, or recorded in the epoch it joined).</summary>
    public bool IsRecovering => _state.RecoveringUntil is { } until && _time.GetUtcNow() < until;

    /// <summary>Why the store is not fit to serve, in one line; null when it is.</summary>
    public string? Problem
    {
        get
        {
            var s = _state;
            var problems = new List<string>();
            if (s.CheckProblem is { } check)
            {
                problems.Add(check);
            }
            if (s.Persistence is { } p && !Accepted(p))
            {
                problems.Add(PersistenceProblem(p));
            }
            if (IsRecovering)
            {
                problems.Add($"{s.Loss}; recovering until {s.RecoveringUntil:O} (Tower:Store:RecoveryWindow) while wallets re-upload");
            }
            return problems.Count == 0 ? null : string.Join("; ", problems);
        }
    }

    /// <summary>
    /// Checks again now if the store's epoch is not the one joined: called after storing a new
    /// channel, so a loss the periodic check has not seen yet cannot slip a re-upload past
    /// <see cref="IsRecovering"/> (one read per new channel).
    /// </summary>
    public async Task VerifyEpochAsync(CancellationToken ct)
    {
        if ((await _store.GetEpochAsync(ct).ConfigureAwait(false))?.Id != _state.Joined?.Id)
        {
            await CheckAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Reads persistence and epoch once (one check at a time), updating state, metrics and log.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var before = _state;
            var persistence = await _store.GetPersistenceAsync(ct).ConfigureAwait(false);
            var current = await _store.GetEpochAsync(ct).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            var next = before with { Persistence = persistence, CheckProblem = null };

            if (before.Joined is null)
            {
                var created = false;
                var empty = false;
                if (current is null)
                {
                    empty = await _store.CountChannelsAsync(ct).ConfigureAwait(false) == 0;
                    var candidate = StoreEpoch.New(_time);
                    current = await _store.InitializeEpochAsync(candidate, ct).ConfigureAwait(false);
                    created = current.Id == candidate.Id;
                    if (created)
                    {
                        _log.LogInformation("Store initialised: epoch {Epoch}{Over}", current, empty ? "" : " over existing data (written before epochs existed)");
                    }
                }
                next = next with { Joined = current, CreatedEmptyStore = created && empty };
                if (current.Replaces is { } replaced && current.CreatedAt + _options.RecoveryWindow > now)
                {
                    next = next with
                    {
                        RecoveringUntil = current.CreatedAt + _options.RecoveryWindow,
                        Loss = $"store epoch lost: epoch {replaced:N} was replaced by {current} after a store loss",
                    };
                }
            }
            else if (current?.Id != before.Joined.Id)
            {
                var loss = current is null
                    ? $"store epoch lost: the store no longer holds epoch {before.Joined} (wiped, or restarted without persistence)"
                    : $"store epoch lost: joined {before.Joined}, the store now holds {current}";
                current ??= await _store.InitializeEpochAsync(StoreEpoch.New(_time, before.Joined.Id), ct).ConfigureAwait(false);
                next = next with { Joined = current, CreatedEmptyStore = false, RecoveringUntil = now + _options.RecoveryWindow, Loss = loss };
                _metrics.StoreEpochChanges.Inc();
                _log.LogError("{Loss}; working in epoch {Epoch} now: bundles, subscriptions and the tailer cursor may be gone, wallets must re-upload; not ready until {Until:O}",
                    loss, current, next.RecoveringUntil);
            }

            ReportPersistenceChange(before.Persistence, persistence);
            _state = next;
            _metrics.StoreDurable.Set(persistence.Kind == PersistenceKind.Persistent ? 1 : 0);
            _metrics.StoreEpochLost.Set(IsRecovering ? 1 : 0);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The first check before the other loops start, so the tailer and ingestion see a known store.
        await TryCheckAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Until the interval passes (tower clock) or Redis reconnects, whichever comes first.
            using var interval = new CancellationTokenSource(_options.EpochCheckInterval, _time);
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, interval.Token);
            try
            {
                await _checkNow.Reader.ReadAsync(wake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The interval passed.
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await TryCheckAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task TryCheckAsync(CancellationToken ct)
    {
        try
        {
            await CheckAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _log.LogWarning(e, "Checking the store failed; retrying");
            if (_state.Joined is null)
            {
                _state = _state with { CheckProblem = $"store not checked: {e.Message}" };
            }
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => _checkNow.Writer.TryWrite(true);

    private static string PersistenceProblem(StorePersistence p) => p.Kind == PersistenceKind.Unknown
        ? $"store durability unknown ({p.Detail}): enable appendonly and let the tower read it, or set Tower:Store:AllowNonDurable=true for tests"
        : $"store not durable ({p.Detail}): run Redis with appendonly yes, or set Tower:Store:AllowNonDurable=true for tests";

    private bool Accepted(StorePersistence p) =>
        p.Kind is PersistenceKind.Persistent or PersistenceKind.InMemory || _options.AllowNonDurable;

    private void ReportPersistenceChange(StorePersistence? before, StorePersistence now)
    {
        if (before?.Kind == now.Kind)
        {
            return;
        }
        switch (now.Kind)
        {
            case PersistenceKind.Persistent:
                _log.LogInformation("Store persists every write ({Detail})", now.Detail);
                break;
            case PersistenceKind.InMemory:
                _log.LogWarning("Store is in process memory ({Detail}): for the demo only", now.Detail);
                break;
            case var _ when _options.AllowNonDurable:
                _log.LogWarning("Store does not persist ({Detail}); accepted because Tower:Store:AllowNonDurable=true: receipts do not survive a Redis restart", now.Detail);
                break;
            default:
                _log.LogError("Store refused: {Problem}", PersistenceProblem(now));
                break;
        }
    }

    public override void Dispose()
    {
        if (_redis is not null)
        {
            _redis.ConnectionRestored -= OnConnectionRestored;
        }
        _gate.Dispose();
        base.Dispose();
    }
}
