using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.TestSupport;
using Watchtower.Stellar;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Tailing;

/// <summary>The tailer's own guarantees, on a fake clock with in-memory store, lease and cursor.</summary>
public sealed class LedgerTailerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
    private readonly SimulatedLedger _ledger = new(Network.Standalone, 1_700_000_000);
    private readonly InMemoryChannelStore _store = new();
    private readonly FlakyPublisher _publisher = new();
    private readonly TailerStatus _status = new();
    private readonly TowerMetrics _metrics = new(new CollectorRegistry());
    private readonly ITailerCursor _cursor;
    private readonly LedgerTailer _tailer;
    private readonly CancellationTokenSource _stop = new();

    public LedgerTailerTests()
    {
        var lease = new InMemoryLease(new InMemoryLeaseGroup(), "tailer", "me", TimeSpan.FromSeconds(5), _time);
        _cursor = new InMemoryTailerCursor(lease);
        _tailer = new LedgerTailer(_ledger, lease, _cursor, new WatchedIndexSync(_store, new WatchedIndex(), _time), _store, _publisher,
            _metrics, _time,
            Options.Create(new TailerOptions
            {
                StartAfterLedger = _ledger.Sequence,
                StallTimeout = TimeSpan.FromSeconds(60),
                RetryInitialDelay = TimeSpan.FromSeconds(1),
                RetryMaxDelay = TimeSpan.FromSeconds(1),
            }),
            Options.Create(new DeadlineOptions()), _status,
            new StoreGuard(_store, Options.Create(new StoreOptions()), _metrics, _time, NullLogger<StoreGuard>.Instance),
            NullLogger<LedgerTailer>.Instance);
    }

    private sealed class FlakyPublisher : ITriggerPublisher
    {
        public List<uint> PublishedLedgers { get; } = [];

        public int FailuresLeft { get; set; }

        public Task PublishAsync(IReadOnlyCollection<TriggerChannel> triggers, CancellationToken ct)
        {
            lock (PublishedLedgers)
            {
                if (FailuresLeft > 0)
                {
                    FailuresLeft--;
                    throw new InvalidOperationException("broker refused the batch");
                }
                PublishedLedgers.AddRange(triggers.Select(t => t.LedgerSequence).Distinct());
            }
            return Task.CompletedTask;
        }
    }

    /// <summary>Moves the fake clock a second at a time until the condition holds (bounded in real time).</summary>
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

    /// <summary>Stores round <paramref name="round"/> of a new channel (ratchet maxTime = RoundStart(round) + TimeoutClaim).</summary>
    private async Task<ChannelMetadata> StoreChannelAsync(ulong round)
    {
        var channel = new TestChannel();
        using var sealing = TowerSealingKey.Generate();
        var bundle = channel.Bundle(round);
        var sealedBundle = channel.Seal(bundle, sealing.PublicKey);
        var subscription = new Subscription(Guid.NewGuid(), channel.WalletIdentity.AccountId, 10, 1 << 20, DateTimeOffset.MaxValue);
        var metadata = ChannelMetadata.Of(bundle, subscription.Id);
        var receipt = BundleReceipt.Issue(KeyPair.Random(), bundle.ChannelId, round, sealedBundle.Hash, 1);
        Assert.Equal(StoreOutcome.Stored, (await _store.StoreAsync(subscription, metadata, receipt, sealedBundle.ToArray(), default)).Outcome);
        return metadata;
    }

    [Fact]
    public async Task DeadlineMargin_IsTheSmallestOverChannelsWhoseDeadlineIsPending()
    {
        var later = await StoreChannelAsync(round: 9);
        var earlier = await StoreChannelAsync(round: 2);
        var third = await StoreChannelAsync(round: 5);

        var ledger = _ledger.CloseLedger();
        await _tailer.ProcessAsync(ledger, default);
        Assert.Equal((double)earlier.RatchetMaxTime - _ledger.CloseTime, _metrics.DeadlineMargin.Value);

        // The earliest channel's latest ratchet landed: its deadline no longer counts.
        await _store.RemoveScheduledAsync(earlier.ChannelId, ScheduleKind.Deadline, default);
        await _tailer.ProcessAsync(_ledger.CloseLedger(), default);
        Assert.Equal((double)third.RatchetMaxTime - _ledger.CloseTime, _metrics.DeadlineMargin.Value);
        Assert.True(later.RatchetMaxTime > third.RatchetMaxTime);
    }

    [Fact]
    public async Task DeadlineMargin_IsZeroWhenNoDeadlineIsPending()
    {
        var only = await StoreChannelAsync(round: 3);
        await _tailer.ProcessAsync(_ledger.CloseLedger(), default);
        Assert.NotEqual(0, _metrics.DeadlineMargin.Value);

        await _store.ForgetAsync(only.ChannelId, 3, default);
        await _tailer.ProcessAsync(_ledger.CloseLedger(), default);

        Assert.Equal(0, _metrics.DeadlineMargin.Value);
    }

    [Fact]
    public async Task CursorAdvancesOnlyAfterTheTriggersArePublished_AndTheFailedLedgerIsRetried()
    {
        var run = _tailer.RunAsync(_stop.Token);
        await RunClockUntil(() => _status.Current.State != TailerState.Standby, "leading");
        var first = _ledger.CloseLedger().Header.Sequence;
        await RunClockUntil(() => _status.Current.Cursor == first, "first ledger");

        _publisher.FailuresLeft = 2;
        var second = _ledger.CloseLedger().Header.Sequence;
        await RunClockUntil(() => _publisher.FailuresLeft == 0, "the failing publications attempted");
        Assert.Equal(first, await _cursor.GetAsync(default));

        await RunClockUntil(() => _status.Current.Cursor == second, "the second ledger after the broker recovered");
        Assert.Equal(second, await _cursor.GetAsync(default));
        await _stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task StreamStuckBehindTheNetwork_ReportsStalled_ThenRecovers()
    {
        var run = _tailer.RunAsync(_stop.Token);
        await RunClockUntil(() => _status.Current.State is TailerState.Syncing or TailerState.Synced, "leading");

        _ledger.StreamFrozen = true;
        var next = _ledger.CloseLedger().Header.Sequence;
        await RunClockUntil(() => _status.Current.State == TailerState.Stalled, "stalled");

        _ledger.StreamFrozen = false;
        await RunClockUntil(() => _status.Current.Cursor == next && _status.Current.State != TailerState.Stalled, "recovered");
        await _stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task AtTheHeadOfANetworkThatClosesNothing_IsSynced()
    {
        var run = _tailer.RunAsync(_stop.Token);

        // No ledger closes at all (a standalone closing on submit, before any submission): ready anyway.
        await RunClockUntil(() => _status.Current.State == TailerState.Synced, "synced without a new ledger");
        Assert.Equal(_ledger.Sequence, _status.Current.Cursor);
        await _stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task IdleNetwork_IsNotAStall()
    {
        var run = _tailer.RunAsync(_stop.Token);
        await RunClockUntil(() => _status.Current.State is TailerState.Syncing or TailerState.Synced, "leading");
        var first = _ledger.CloseLedger().Header.Sequence;
        await RunClockUntil(() => _status.Current.Cursor == first, "first ledger");
        var state = _status.Current.State;

        // Five stall timeouts with nothing closed anywhere: the tailer is caught up, not stuck.
        var idleUntil = _time.GetUtcNow().AddMinutes(5);
        await RunClockUntil(() => _time.GetUtcNow() >= idleUntil || _status.Current.State == TailerState.Stalled, "five idle minutes");
        Assert.Equal(state, _status.Current.State);

        var next = _ledger.CloseLedger().Header.Sequence;
        await RunClockUntil(() => _status.Current.Cursor == next, "the next ledger");
        await _stop.CancelAsync();
        await run;
    }

    public void Dispose() => _stop.Dispose();
}
