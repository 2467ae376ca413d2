using Watchtower.Contracts;
using Watchtower.TestSupport;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;
using Xunit;

namespace Watchtower.Tower.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IChannelStore"/> must have. Run against Redis and in memory by
/// the subclasses below, so the embedded demo behaves like production.
/// </summary>
public abstract class ChannelStoreContractTests
{
    private readonly TowerSealingKey _sealing = TowerSealingKey.Generate();
    private readonly KeyPair _tower = KeyPair.Random();
    private readonly TestChannel _channel = new();
    private readonly Subscription _subscription;

    protected ChannelStoreContractTests()
    {
        _subscription = new Subscription(Guid.NewGuid(), _channel.WalletIdentity.AccountId, 10, 1_000_000, DateTimeOffset.UnixEpoch.AddYears(60));
    }

    /// <summary>A fresh, empty store; <paramref name="maxChanges"/> bounds its index change feed.</summary>
    protected abstract IChannelStore CreateStore(int maxChanges = 100_000);

    private static CancellationToken Ct => CancellationToken.None;

    private (ChannelMetadata Metadata, BundleReceipt Receipt, byte[] Sealed) Upload(TestChannel channel, ulong round, Subscription? subscription = null, int participant = 0)
    {
        var bundle = channel.Bundle(round, participant);
        var sealedBundle = channel.Seal(bundle, _sealing.PublicKey);
        var receipt = BundleReceipt.Issue(_tower, bundle.ChannelId, round, sealedBundle.Hash, 100 + (uint)round);
        return (ChannelMetadata.Of(bundle, (subscription ?? _subscription).Id), receipt, sealedBundle.ToArray());
    }

    private async Task<StoreResult> StoreAsync(IChannelStore store, TestChannel channel, ulong round, Subscription? subscription = null, int participant = 0)
    {
        var (metadata, receipt, sealedBytes) = Upload(channel, round, subscription, participant);
        return await store.StoreAsync(subscription ?? _subscription, metadata, receipt, sealedBytes, Ct);
    }

    [Fact]
    public async Task Epoch_IsWrittenOnlyIntoAStoreWithoutOne_AndReadBack()
    {
        var store = CreateStore();
        Assert.Null(await store.GetEpochAsync(Ct));
        var first = new StoreEpoch(Guid.NewGuid(), DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123), null);

        Assert.Equal(first, await store.InitializeEpochAsync(first, Ct));
        Assert.Equal(first, await store.InitializeEpochAsync(first with { Id = Guid.NewGuid(), Replaces = first.Id }, Ct));
        Assert.Equal(first, await store.GetEpochAsync(Ct));
    }

    [Fact]
    public async Task Subscription_RoundTrips()
    {
        var store = CreateStore();
        await store.PutSubscriptionAsync(_subscription, Ct);
        Assert.Equal(_subscription, await store.GetSubscriptionAsync(_subscription.Id, Ct));
        Assert.Null(await store.GetSubscriptionAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task FirstUpload_IsStoredWithItsIndexesAndDeadline()
    {
        var store = CreateStore();
        var (metadata, receipt, sealedBytes) = Upload(_channel, 3);

        var result = await store.StoreAsync(_subscription, metadata, receipt, sealedBytes, Ct);

        Assert.Equal(StoreOutcome.Stored, result.Outcome);
        Assert.Equal(receipt, result.Receipt);
        var stored = await store.GetAsync(metadata.ChannelId, Ct);
        Assert.NotNull(stored);
        Assert.Equal(metadata, stored.Metadata);
        Assert.Equal(receipt, stored.Receipt);
        Assert.Equal(sealedBytes, stored.SealedBundle.ToArray());
        foreach (var account in metadata.WatchedAccounts)
        {
            Assert.Equal([metadata.ChannelId], (await store.ChannelsWatchingAsync(account, Ct)).ToArray());
        }
        var due = (await store.DueAsync(metadata.DeadlineTime, 10, Ct)).ToArray();
        Assert.Equal([new ScheduledItem(metadata.ChannelId, ScheduleKind.Deadline, metadata.DeadlineTime)], due);
        Assert.Empty(await store.DueAsync(metadata.DeadlineTime - 1, 10, Ct));
    }

    [Fact]
    public async Task SameRoundAgain_IsUnchangedAndReturnsTheStoredReceipt()
    {
        var store = CreateStore();
        var first = await StoreAsync(store, _channel, 3);
        var (metadata, _, _) = Upload(_channel, 3);

        // A re-sealed copy of the same round: different bytes, same round.
        var again = await StoreAsync(store, _channel, 3);

        Assert.Equal(StoreOutcome.Unchanged, again.Outcome);
        Assert.Equal(first.Receipt, again.Receipt);
        Assert.Equal(first.Receipt, (await store.GetAsync(metadata.ChannelId, Ct))!.Receipt);
    }

    [Fact]
    public async Task HigherRound_ReplacesRecordAndMovesTheDeadline()
    {
        var store = CreateStore();
        var (old, _, _) = Upload(_channel, 3);
        await StoreAsync(store, _channel, 3);
        var (next, nextReceipt, nextSealed) = Upload(_channel, 4);

        var result = await store.StoreAsync(_subscription, next, nextReceipt, nextSealed, Ct);

        Assert.Equal(StoreOutcome.Replaced, result.Outcome);
        var stored = await store.GetAsync(next.ChannelId, Ct);
        Assert.Equal(4UL, stored!.Metadata.Round);
        Assert.Equal(nextSealed, stored.SealedBundle.ToArray());
        Assert.Empty(await store.DueAsync(old.DeadlineTime, 10, Ct));
        Assert.Single(await store.DueAsync(next.DeadlineTime, 10, Ct));
        Assert.Equal([next.ChannelId], (await store.ChannelsWatchingAsync(_channel.Escrow.AccountId, Ct)).ToArray());
    }

    [Fact]
    public async Task HigherRoundWatchingOtherAccounts_MovesTheIndexEntries()
    {
        var store = CreateStore();
        var (old, oldReceipt, oldSealed) = Upload(_channel, 3);
        await store.StoreAsync(_subscription, old, oldReceipt, oldSealed, Ct);
        var dropped = old.WatchedAccounts[2];
        var added = KeyPair.Random().AccountId;
        var (next, nextReceipt, nextSealed) = Upload(_channel, 4);
        next = next with { WatchedAccounts = next.WatchedAccounts.SetItem(2, added) };
        var sync = new WatchedIndexSync(store, new WatchedIndex(), TimeProvider.System);
        await sync.LoadAsync(Ct);

        Assert.Equal(StoreOutcome.Replaced, (await store.StoreAsync(_subscription, next, nextReceipt, nextSealed, Ct)).Outcome);

        Assert.Empty(await store.ChannelsWatchingAsync(dropped, Ct));
        Assert.Equal([next.ChannelId], (await store.ChannelsWatchingAsync(added, Ct)).ToArray());
        Assert.Equal(1, await sync.CatchUpAsync(Ct));
        Assert.False(sync.Index.IsWatched(dropped));
        Assert.True(sync.Index.IsWatched(added));
    }

    [Fact]
    public async Task LowerRound_IsStaleAndChangesNothing()
    {
        var store = CreateStore();
        await StoreAsync(store, _channel, 5);
        var before = await store.GetAsync(_channel.ChannelId(), Ct);

        var result = await StoreAsync(store, _channel, 4);

        Assert.Equal(StoreOutcome.Stale, result.Outcome);
        Assert.Equal(5UL, result.StoredRound);
        var after = await store.GetAsync(_channel.ChannelId(), Ct);
        Assert.Equal(before!.Metadata, after!.Metadata);
        Assert.Equal(before.SealedBundle.ToArray(), after.SealedBundle.ToArray());
        Assert.Single(await store.DueAsync(before.Metadata.DeadlineTime, 10, Ct));
    }

    [Theory]
    [InlineData(9UL, 10UL)]
    [InlineData(0xFFFF_FFFFUL, 0x1_0000_0000UL)]
    [InlineData(0xF_0000_0000UL, 0x10_0000_0000UL)]
    public async Task Rounds_CompareNumerically(ulong lower, ulong higher)
    {
        var store = CreateStore();
        await StoreAsync(store, _channel, lower);

        Assert.Equal(StoreOutcome.Replaced, (await StoreAsync(store, _channel, higher)).Outcome);
        Assert.Equal(StoreOutcome.Stale, (await StoreAsync(store, _channel, lower)).Outcome);
        Assert.Equal(ForgetOutcome.NewerRoundKept, await store.ForgetAsync(_channel.ChannelId(), lower, Ct));
        Assert.Equal(ForgetOutcome.Forgotten, await store.ForgetAsync(_channel.ChannelId(), higher, Ct));
    }

    [Fact]
    public async Task ChannelCountSampler_ReportsTheStoredChannels()
    {
        var store = CreateStore();
        var metrics = new Observability.TowerMetrics(Prometheus.Metrics.NewCustomRegistry());
        var sampler = new ChannelCountSampler(store, metrics, TimeProvider.System);
        await StoreAsync(store, _channel, 1);
        await StoreAsync(store, new TestChannel(), 1);
        await StoreAsync(store, _channel, 2);

        await sampler.SampleAsync(Ct);
        Assert.Equal(2, metrics.ChannelsWatched.Value);

        await store.ForgetAsync(_channel.ChannelId(), 2, Ct);
        await sampler.SampleAsync(Ct);
        Assert.Equal(1, metrics.ChannelsWatched.Value);
    }

    [Fact]
    public async Task ChannelOfAnotherSubscription_AtAnEqualOrLowerRound_IsConflict()
    {
        var store = CreateStore();
        await StoreAsync(store, _channel, 2);
        var intruder = _subscription with { Id = Guid.NewGuid() };

        Assert.Equal(StoreOutcome.Conflict, (await StoreAsync(store, _channel, 2, intruder)).Outcome);
        Assert.Equal(StoreOutcome.Conflict, (await StoreAsync(store, _channel, 1, intruder)).Outcome);
        Assert.Equal((_subscription.Id, 2UL), ((await store.GetAsync(_channel.ChannelId(), Ct))!.Metadata.SubscriptionId, (await store.GetAsync(_channel.ChannelId(), Ct))!.Metadata.Round));
    }

    [Fact]
    public async Task ChannelOfAnotherSubscription_AtALowerRound_IsTakenOver_AndItsQuotaMoves()
    {
        var store = CreateStore();
        var squatter = _subscription with { Id = Guid.NewGuid(), MaxChannels = 1 };
        await StoreAsync(store, _channel, 1, squatter);

        var result = await StoreAsync(store, _channel, 2);

        Assert.Equal(StoreOutcome.TakenOver, result.Outcome);
        var stored = (await store.GetAsync(_channel.ChannelId(), Ct))!;
        Assert.Equal((_subscription.Id, 2UL), (stored.Metadata.SubscriptionId, stored.Metadata.Round));
        Assert.Equal([_channel.ChannelId()], (await store.ChannelsWatchingAsync(_channel.Escrow.AccountId, Ct)).ToArray());
        // The squatter's one-channel allowance is free again.
        Assert.Equal(StoreOutcome.Stored, (await StoreAsync(store, new TestChannel(), 1, squatter)).Outcome);
    }

    [Fact]
    public async Task SubscriptionWrite_IsACompareAndSetOnTheLastCommand()
    {
        var store = CreateStore();
        var first = _subscription with { LastCommandAt = 10 };
        Assert.True(await store.TryPutSubscriptionAsync(first, -1, Ct));
        Assert.False(await store.TryPutSubscriptionAsync(first with { MaxChannels = 99, LastCommandAt = 11 }, -1, Ct));
        Assert.False(await store.TryPutSubscriptionAsync(first with { MaxChannels = 99, LastCommandAt = 11 }, 9, Ct));

        Assert.True(await store.TryPutSubscriptionAsync(first with { MaxChannels = 3, LastCommandAt = 12 }, 10, Ct));

        Assert.Equal(first with { MaxChannels = 3, LastCommandAt = 12 }, await store.GetSubscriptionAsync(first.Id, Ct));
    }

    [Fact]
    public async Task ChannelQuota_RefusesOneChannelTooManyUntilOneIsForgotten()
    {
        var store = CreateStore();
        var small = _subscription with { MaxChannels = 1 };
        var other = new TestChannel();
        Assert.Equal(StoreOutcome.Stored, (await StoreAsync(store, _channel, 1, small)).Outcome);

        Assert.Equal(StoreOutcome.QuotaExceeded, (await StoreAsync(store, other, 1, small)).Outcome);
        Assert.Null(await store.GetAsync(other.ChannelId(), Ct));
        // The channel already held may still move on.
        Assert.Equal(StoreOutcome.Replaced, (await StoreAsync(store, _channel, 2, small)).Outcome);

        Assert.Equal(ForgetOutcome.Forgotten, await store.ForgetAsync(_channel.ChannelId(), 2, Ct));
        Assert.Equal(StoreOutcome.Stored, (await StoreAsync(store, other, 1, small)).Outcome);
    }

    [Fact]
    public async Task ByteQuota_RefusesWhatWouldExceedIt()
    {
        var store = CreateStore();
        var (metadata, receipt, sealedBytes) = Upload(_channel, 1);
        var tight = _subscription with { MaxBytes = sealedBytes.Length + 10 };
        Assert.Equal(StoreOutcome.Stored, (await store.StoreAsync(tight, metadata, receipt, sealedBytes, Ct)).Outcome);

        var result = await StoreAsync(store, new TestChannel(), 1, tight);

        Assert.Equal(StoreOutcome.QuotaExceeded, result.Outcome);
    }

    [Fact]
    public async Task Forget_RemovesRecordIndexesAndSchedule()
    {
        var store = CreateStore();
        var (metadata, _, _) = Upload(_channel, 2);
        await StoreAsync(store, _channel, 2);
        await store.ScheduleFollowUpAsync(metadata.ChannelId, 50, Ct);

        Assert.Equal(ForgetOutcome.NewerRoundKept, await store.ForgetAsync(metadata.ChannelId, 1, Ct));
        Assert.NotNull(await store.GetAsync(metadata.ChannelId, Ct));

        Assert.Equal(ForgetOutcome.Forgotten, await store.ForgetAsync(metadata.ChannelId, 2, Ct));

        Assert.Null(await store.GetAsync(metadata.ChannelId, Ct));
        foreach (var account in metadata.WatchedAccounts)
        {
            Assert.Empty(await store.ChannelsWatchingAsync(account, Ct));
        }
        Assert.Empty(await store.DueAsync(ulong.MaxValue / 2, 10, Ct));
        Assert.Equal(ForgetOutcome.NotFound, await store.ForgetAsync(metadata.ChannelId, 2, Ct));
    }

    [Fact]
    public async Task ForgottenChannel_RefusesItsOldRoundsAsStale_ButTakesALaterOne()
    {
        // A settled channel is forgotten; a replay of its bundle must not be receipted and watched again.
        var store = CreateStore();
        var id = _channel.ChannelId(0);
        await StoreAsync(store, _channel, 2);
        Assert.Equal(ForgetOutcome.Forgotten, await store.ForgetAsync(id, 2, Ct));

        var replay = await StoreAsync(store, _channel, 2);
        var older = await StoreAsync(store, _channel, 1);

        Assert.Equal((StoreOutcome.Stale, 2UL), (replay.Outcome, replay.StoredRound!.Value));
        Assert.Equal(StoreOutcome.Stale, older.Outcome);
        Assert.Null(await store.GetAsync(id, Ct));
        Assert.Equal(0, await store.CountChannelsAsync(Ct));
        Assert.Equal(StoreOutcome.Stored, (await StoreAsync(store, _channel, 3)).Outcome);
    }

    [Fact]
    public async Task BothPartiesOfOneChannel_AreIndexedUnderTheSharedAccounts()
    {
        var store = CreateStore();
        var otherWallet = _subscription with { Id = Guid.NewGuid() };
        await StoreAsync(store, _channel, 1);
        await StoreAsync(store, _channel, 1, otherWallet, participant: 1);

        var watching = await store.ChannelsWatchingAsync(_channel.Escrow.AccountId, Ct);
        Assert.Equal(new[] { _channel.ChannelId(0), _channel.ChannelId(1) }.Order().ToArray(), watching.Order().ToArray());

        await store.ForgetAsync(_channel.ChannelId(0), 1, Ct);
        Assert.Equal([_channel.ChannelId(1)], (await store.ChannelsWatchingAsync(_channel.Escrow.AccountId, Ct)).ToArray());
    }

    [Fact]
    public async Task EarliestDeadlines_ComeInScheduleOrder_DueOrNot_WithoutFollowUps()
    {
        var store = CreateStore();
        var late = Upload(new TestChannel(), 7);
        var early = Upload(new TestChannel(), 2);
        var middle = Upload(new TestChannel(), 4);
        foreach (var (metadata, receipt, sealedBytes) in new[] { late, early, middle })
        {
            Assert.Equal(StoreOutcome.Stored, (await store.StoreAsync(_subscription, metadata, receipt, sealedBytes, Ct)).Outcome);
        }
        await store.ScheduleFollowUpAsync(_channel.ChannelId(), 1, Ct);

        var earliest = (await store.EarliestDeadlinesAsync(2, Ct)).ToArray();

        Assert.Equal([new ScheduledItem(early.Metadata.ChannelId, ScheduleKind.Deadline, early.Metadata.DeadlineTime),
            new ScheduledItem(middle.Metadata.ChannelId, ScheduleKind.Deadline, middle.Metadata.DeadlineTime)], earliest);
        Assert.Equal(3, (await store.EarliestDeadlinesAsync(10, Ct)).Length);
    }

    [Fact]
    public async Task FollowUps_AreDueByLedgerTimeAndRemovable()
    {
        var store = CreateStore();
        var id = _channel.ChannelId();
        await store.ScheduleFollowUpAsync(id, 500, Ct);

        Assert.Empty(await store.DueAsync(499, 10, Ct));
        Assert.Equal([new ScheduledItem(id, ScheduleKind.FollowUp, 500)], (await store.DueAsync(500, 10, Ct)).ToArray());

        await store.RemoveScheduledAsync(id, ScheduleKind.FollowUp, Ct);
        Assert.Empty(await store.DueAsync(500, 10, Ct));
    }

    [Fact]
    public async Task CompletingAFollowUp_RemovesItOnlyIfItWasDueByTheAnsweringLedger()
    {
        var store = CreateStore();
        var id = _channel.ChannelId();
        await store.ScheduleFollowUpAsync(id, 500, Ct);

        // Moved later (to 600) by another responder before this one, which answered ledger time 550, completes.
        await store.ScheduleFollowUpAsync(id, 600, Ct);
        await store.CompleteFollowUpAsync(id, 550, Ct);
        Assert.Equal([new ScheduledItem(id, ScheduleKind.FollowUp, 600)], (await store.DueAsync(1000, 10, Ct)).ToArray());

        await store.CompleteFollowUpAsync(id, 600, Ct);
        Assert.Empty(await store.DueAsync(1000, 10, Ct));
        await store.CompleteFollowUpAsync(id, 700, Ct); // nothing scheduled: no effect, no error
    }

    [Fact]
    public async Task WatchedIndexSync_LoadsThenFollowsChanges()
    {
        var store = CreateStore();
        var first = new TestChannel();
        var second = new TestChannel();
        await StoreAsync(store, first, 1);
        var sync = new WatchedIndexSync(store, new WatchedIndex(), TimeProvider.System);

        await sync.LoadAsync(Ct);
        Assert.Equal([first.ChannelId()], sync.Index.ChannelsFor(first.Escrow.AccountId).ToArray());
        Assert.False(sync.Index.IsWatched(second.Escrow.AccountId));

        await StoreAsync(store, second, 1);
        await store.ForgetAsync(first.ChannelId(), 1, Ct);
        Assert.Equal(2, await sync.CatchUpAsync(Ct));

        Assert.False(sync.Index.IsWatched(first.Escrow.AccountId));
        Assert.Equal([second.ChannelId()], sync.Index.ChannelsFor(second.VersionKeys[1].AccountId).ToArray());
        Assert.Equal(3, sync.Index.AccountCount);
        Assert.Equal(1, sync.Loads);
    }

    [Fact]
    public async Task WatchedIndexSync_ReloadsWhenTheFeedWasTrimmedPastItsCursor()
    {
        var store = CreateStore(maxChanges: 2);
        var sync = new WatchedIndexSync(store, new WatchedIndex(), TimeProvider.System);
        await sync.LoadAsync(Ct);
        var channels = Enumerable.Range(0, 40).Select(_ => new TestChannel()).ToList();
        foreach (var channel in channels)
        {
            await StoreAsync(store, channel, 1, _subscription with { MaxChannels = 100 });
        }

        await sync.CatchUpAsync(Ct);

        Assert.Equal(2, sync.Loads);
        Assert.All(channels, c => Assert.Equal([c.ChannelId()], sync.Index.ChannelsFor(c.Escrow.AccountId).ToArray()));
    }
}

public sealed class InMemoryChannelStoreTests : ChannelStoreContractTests
{
    protected override IChannelStore CreateStore(int maxChanges = 100_000) => new InMemoryChannelStore(maxChanges);
}

public sealed class RedisChannelStoreTests : ChannelStoreContractTests, IDisposable
{
    private readonly StackExchange.Redis.ConnectionMultiplexer _redis = TestServers.ConnectRedis();

    protected override IChannelStore CreateStore(int maxChanges = 100_000) => new RedisChannelStore(_redis, TestServers.UniquePrefix(), maxChanges);

    [Fact]
    public async Task ClosedMarker_ExpiresAfterTheConfiguredMemory_AndIsTheOnlyKeyLeft()
    {
        var prefix = TestServers.UniquePrefix();
        var store = new RedisChannelStore(_redis, prefix, closedChannelMemory: TimeSpan.FromDays(2));
        var channel = new TestChannel();
        var subscription = new Subscription(Guid.NewGuid(), channel.WalletIdentity.AccountId, 10, 1_000_000, DateTimeOffset.UnixEpoch.AddYears(60));
        var bundle = channel.Bundle(1, 0);
        var sealedBundle = channel.Seal(bundle, TowerSealingKey.Generate().PublicKey);
        var receipt = BundleReceipt.Issue(KeyPair.Random(), bundle.ChannelId, 1, sealedBundle.Hash, 101);
        await store.StoreAsync(subscription, ChannelMetadata.Of(bundle, subscription.Id), receipt, sealedBundle.ToArray(), CancellationToken.None);

        await store.ForgetAsync(bundle.ChannelId, 1, CancellationToken.None);

        var db = _redis.GetDatabase();
        var closed = (StackExchange.Redis.RedisKey)$"{prefix}:{{ch:{bundle.ChannelId}}}:closed";
        var ttl = await db.KeyTimeToLiveAsync(closed);
        Assert.InRange(ttl!.Value, TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(2));
        var left = _redis.GetServers()[0].Keys(pattern: $"{prefix}:{{ch:*").Select(k => (string)k!).ToList();
        Assert.Equal([(string)closed!], left);
    }

    public void Dispose() => _redis.Dispose();
}
