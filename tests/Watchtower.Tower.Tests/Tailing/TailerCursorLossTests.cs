using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Tailing;

/// <summary>Where the tailer resumes when the store holds no cursor: never silently at the network's latest ledger.</summary>
public sealed class TailerCursorLossTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
    private readonly SimulatedLedger _ledger = new(Network.Standalone, 1_700_000_000);
    private readonly TailerStatus _status = new();
    private readonly TowerMetrics _metrics = new(new CollectorRegistry());
    private readonly CancellationTokenSource _stop = new();
    private readonly List<uint> _cursors = [];

    public TailerCursorLossTests()
    {
        _status.Changed += s =>
        {
            lock (_cursors)
            {
                if (s.Cursor is { } c && (_cursors.Count == 0 || _cursors[^1] != c))
                {
                    _cursors.Add(c);
                }
            }
        };
        // Some history before the tower starts: "latest" is not the first ledger.
        for (var i = 0; i < 5; i++)
        {
            _ledger.CloseLedger();
        }
    }

    private sealed class NoTriggers : ITriggerPublisher
    {
        public Task PublishAsync(IReadOnlyCollection<TriggerChannel> triggers, CancellationToken ct) => Task.CompletedTask;
    }

    private LedgerTailer Tailer(IChannelStore store, ILease lease, ITailerCursor cursor, uint? startAfter = null) =>
        new(_ledger, lease, cursor, new WatchedIndexSync(store, new WatchedIndex(), _time), store, new NoTriggers(), _metrics, _time,
            Options.Create(new TailerOptions
            {
                StartAfterLedger = startAfter,
                LeaseTtl = TimeSpan.FromSeconds(30),
                RetryInitialDelay = TimeSpan.FromSeconds(1),
                RetryMaxDelay = TimeSpan.FromSeconds(1),
            }),
            Options.Create(new DeadlineOptions()), _status,
            new StoreGuard(store, Options.Create(new StoreOptions()), _metrics, _time, NullLogger<StoreGuard>.Instance),
            NullLogger<LedgerTailer>.Instance);

    private (ILease Lease, ITailerCursor Cursor) InMemoryLeaseAndCursor()
    {
        var lease = new InMemoryLease(new InMemoryLeaseGroup(), "tailer", "me", TimeSpan.FromSeconds(30), _time);
        return (lease, new InMemoryTailerCursor(lease));
    }

    private async Task RunClockUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached: {what}");
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task NoCursor_OnAStoreThisProcessDidNotCreate_StopsAndSaysSo_InsteadOfStartingAtLatest()
    {
        var store = new InMemoryChannelStore();
        // Another process (or the store's earlier life) initialised it: the cursor should exist and does not.
        await store.InitializeEpochAsync(StoreEpoch.New(_time), default);
        var (lease, cursor) = InMemoryLeaseAndCursor();
        var run = Tailer(store, lease, cursor).RunAsync(_stop.Token);

        await RunClockUntil(() => _status.Current.State == TailerState.Stalled, "stopped");

        Assert.Equal("cursor lost: the store has an epoch but no tailer cursor; set Tower:Tailer:StartAfterLedger", _status.Current.Problem);
        Assert.Null(await cursor.GetAsync(default));
        // It gave the lease up, so a replica that knows better can lead.
        Assert.NotNull(await new InMemoryLease(new InMemoryLeaseGroup(), "tailer", "other", TimeSpan.FromSeconds(30), _time).TryAcquireAsync(default));
        await _stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task NoCursor_WithStartAfterLedger_ResumesThere()
    {
        var store = new InMemoryChannelStore();
        await store.InitializeEpochAsync(StoreEpoch.New(_time), default);
        var (lease, cursor) = InMemoryLeaseAndCursor();
        var run = Tailer(store, lease, cursor, startAfter: 11).RunAsync(_stop.Token);

        await RunClockUntil(() => _status.Current.Cursor is not null, "started");

        lock (_cursors)
        {
            Assert.Equal(11u, _cursors[0]);
        }
        await _stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task ABrandNewStore_StartsAtTheNetworksLatestLedger()
    {
        var (lease, cursor) = InMemoryLeaseAndCursor();
        var run = Tailer(new InMemoryChannelStore(), lease, cursor).RunAsync(_stop.Token);

        await RunClockUntil(() => _status.Current.State == TailerState.Synced, "synced");

        Assert.Equal(_ledger.Sequence, await cursor.GetAsync(default));
        await _stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task StoreWipedUnderARunningTailer_TheCursorIsWrittenBackFromWhatItApplied_AndNoLedgerIsSkipped()
    {
        using var redis = TestServers.ConnectRedis();
        var prefix = TestServers.UniquePrefix();
        var store = new RedisChannelStore(redis, prefix);
        var lease = new RedisLease(redis, RedisTailerCursor.LeaseName, "me", TimeSpan.FromSeconds(30), prefix);
        var cursor = new RedisTailerCursor(redis, "me", prefix);
        var run = Tailer(store, lease, cursor).RunAsync(_stop.Token);
        await RunClockUntil(() => _status.Current.State == TailerState.Synced, "synced at the head of a new store");
        var applied = _ledger.CloseLedger().Header.Sequence;
        await RunClockUntil(() => _status.Current.Cursor == applied, "a ledger applied");

        // Redis restarted without persistence, as far as this prefix goes: epoch, lease and cursor gone.
        await StoreWipe.WipeAsync(redis, prefix);
        var missed = _ledger.CloseLedger().Header.Sequence;
        var latest = _ledger.CloseLedger().Header.Sequence;
        await RunClockUntil(() => _status.Current.Cursor == latest, "caught up after the wipe");

        Assert.Equal(latest, await cursor.GetAsync(default));
        Assert.Equal(1, _metrics.TailerCursorRestores.Value);
        lock (_cursors)
        {
            Assert.Equal([applied, missed, latest], _cursors.SkipWhile(c => c != applied).ToArray());
        }
        Assert.Equal(1, _metrics.StoreEpochChanges.Value);
        await _stop.CancelAsync();
        await run;
    }

    public void Dispose() => _stop.Dispose();
}
