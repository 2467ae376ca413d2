using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Storage;

/// <summary>Durability as a checked contract: persistence, replica acknowledgements, the store epoch (real Redis servers).</summary>
public sealed class StoreDurabilityTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly TowerMetrics _metrics = new(new CollectorRegistry());
    private readonly List<IDisposable> _owned = [];

    private StoreGuard Guard(IChannelStore store, StoreOptions? options = null, IConnectionMultiplexer? redis = null)
    {
        var guard = new StoreGuard(store, Options.Create(options ?? new StoreOptions()), _metrics, _time, NullLogger<StoreGuard>.Instance, redis);
        _owned.Add(guard);
        return guard;
    }

    private ConnectionMultiplexer Own(ConnectionMultiplexer redis)
    {
        _owned.Add(redis);
        return redis;
    }

    private PrivateRedis Own(PrivateRedis server)
    {
        _owned.Add(server);
        return server;
    }

    /// <summary>The responder rig's channel uploaded through an ingestor that consults <paramref name="guard"/>.</summary>
    private static Task<IngestResult> IngestAsync(ResponderRig rig, StoreGuard guard, TowerMetrics metrics)
    {
        var ingestor = new BundleIngestor(rig.Store, rig.Identity, new LedgerWatermark(), metrics, rig.Time, new SubscriptionRateLimiter(rig.Time, 1_000, 1_000), new OperatorAuthority(null), guard);
        return Subscribe(rig).ContinueWith(_ => ingestor.IngestAsync(rig.Subscription,
            rig.Channel.Seal(rig.Channel.Bundle(ResponderRig.Round), rig.Identity.SealingKey.PublicKey).ToArray(), default), TaskScheduler.Default).Unwrap();
    }

    private static Task Subscribe(ResponderRig rig) =>
        rig.Store.PutSubscriptionAsync(new Subscription(rig.Subscription, rig.Channel.WalletIdentity.AccountId, 10, 1 << 20, DateTimeOffset.MaxValue), default);

    [Fact]
    public async Task RedisWithoutPersistence_IsRefused_NotReadyAndNoReceipt()
    {
        var server = Own(new PrivateRedis("--appendonly", "no"));
        var store = new RedisChannelStore(Own(server.Connect()), TestServers.UniquePrefix());
        var guard = Guard(store);

        await guard.CheckAsync(default);

        Assert.False(guard.AcceptsReceipts);
        Assert.StartsWith("store not durable (appendonly no): run Redis with appendonly yes", guard.Problem, StringComparison.Ordinal);
        Assert.Equal(0, _metrics.StoreDurable.Value);
        using var rig = new ResponderRig(store: store);
        await Assert.ThrowsAsync<StoreNotDurableException>(() => IngestAsync(rig, guard, _metrics));
        Assert.Null(await store.GetAsync(rig.Id, default));
    }

    [Fact]
    public async Task RedisWithoutPersistence_IsAccepted_WhenNonDurableUseIsAllowed()
    {
        var server = Own(new PrivateRedis("--appendonly", "no"));
        var store = new RedisChannelStore(Own(server.Connect()), TestServers.UniquePrefix());
        var guard = Guard(store, new StoreOptions { AllowNonDurable = true });

        await guard.CheckAsync(default);

        Assert.True(guard.AcceptsReceipts);
        Assert.Null(guard.Problem);
        Assert.Equal(0, _metrics.StoreDurable.Value);
        using var rig = new ResponderRig(store: store);
        Assert.IsType<IngestResult.Accepted>(await IngestAsync(rig, guard, _metrics));
    }

    [Fact]
    public async Task RedisWithAppendOnlyFile_IsDurable_AndANewStoreGetsAnEpoch()
    {
        var server = Own(new PrivateRedis("--appendonly", "yes"));
        var store = new RedisChannelStore(Own(server.Connect()), TestServers.UniquePrefix());
        var guard = Guard(store);

        await guard.CheckAsync(default);

        Assert.Null(guard.Problem);
        Assert.Equal(1, _metrics.StoreDurable.Value);
        Assert.True(guard.IsNewStore);
        Assert.Equal(guard.Epoch, await store.GetEpochAsync(default));
        Assert.Null(guard.Epoch!.Replaces);
    }

    [Fact]
    public async Task InMemoryStore_ReportsItselfNonDurable_AndIsAccepted()
    {
        var store = new InMemoryChannelStore();
        var guard = Guard(store);

        await guard.CheckAsync(default);

        Assert.Equal(PersistenceKind.InMemory, (await store.GetPersistenceAsync(default)).Kind);
        Assert.True(guard.AcceptsReceipts);
        Assert.Null(guard.Problem);
        Assert.Equal(0, _metrics.StoreDurable.Value);
    }

    [Fact]
    public async Task AnotherProcessJoiningAnExistingStore_DoesNotCountItAsNew()
    {
        var store = new InMemoryChannelStore();
        var first = Guard(store);
        await first.CheckAsync(default);
        var second = Guard(store);

        await second.CheckAsync(default);

        Assert.Equal(first.Epoch, second.Epoch);
        Assert.True(first.IsNewStore);
        Assert.False(second.IsNewStore);
    }

    [Fact]
    public async Task WipedStore_IsDetectedAtTheNextPeriodicCheck_AndANewEpochRecordsTheLostOne()
    {
        using var redis = TestServers.ConnectRedis();
        var prefix = TestServers.UniquePrefix();
        var store = new RedisChannelStore(redis, prefix);
        var guard = Guard(store, new StoreOptions { EpochCheckInterval = TimeSpan.FromSeconds(10), RecoveryWindow = TimeSpan.FromMinutes(30) });
        await guard.StartAsync(default);
        var joined = guard.Epoch!;

        await redis.GetDatabase().KeyDeleteAsync($"{prefix}:{{meta}}:epoch");
        Assert.Null(guard.Problem);
        // The check loop may not have armed its timer yet: tick until it has run.
        await PipelineRig.Eventually(() =>
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            return _metrics.StoreEpochLost.Value == 1;
        }, "the loss seen at the periodic check");

        Assert.StartsWith($"store epoch lost: the store no longer holds epoch {joined}", guard.Problem, StringComparison.Ordinal);
        Assert.Equal(1, _metrics.StoreEpochChanges.Value);
        var now = await store.GetEpochAsync(default);
        Assert.Equal(joined.Id, now!.Replaces);
        Assert.Equal(now, guard.Epoch);
        Assert.False(guard.IsNewStore);
        Assert.True(guard.IsRecovering);

        // Another process joining in the recovery window is told too; after it, all are ready again.
        var late = Guard(store, new StoreOptions { RecoveryWindow = TimeSpan.FromMinutes(30) });
        await late.CheckAsync(default);
        Assert.Contains("store epoch lost", late.Problem, StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromMinutes(31));
        await guard.CheckAsync(default);
        Assert.Null(guard.Problem);
        Assert.Null(late.Problem);
        Assert.Equal(0, _metrics.StoreEpochLost.Value);
        await guard.StopAsync(default);
    }

    [Fact]
    public async Task RedisRestartedWithoutPersistence_IsDetectedOnReconnect()
    {
        var server = Own(new PrivateRedis("--appendonly", "no"));
        var redis = Own(ConnectionMultiplexer.Connect(new ConfigurationOptions
        {
            EndPoints = { server.EndPoint },
            AbortOnConnectFail = false,
            ConnectRetry = 10,
            ReconnectRetryPolicy = new LinearRetry(100),
        }));
        var store = new RedisChannelStore(redis, TestServers.UniquePrefix());
        // The periodic check never comes (fake clock standing still): only the reconnect can tell.
        var guard = Guard(store, new StoreOptions { AllowNonDurable = true, EpochCheckInterval = TimeSpan.FromHours(1) }, redis);
        await guard.StartAsync(default);
        Assert.Null(guard.Problem);

        server.Restart();

        await PipelineRig.Eventually(() => _metrics.StoreEpochLost.Value == 1, "the wiped store seen after the reconnect");
        Assert.Contains("store epoch lost", guard.Problem, StringComparison.Ordinal);
        await guard.StopAsync(default);
    }

    [Fact]
    public async Task ReplicaNotAcknowledging_TheUploadIsNotReceipted_AndCounted()
    {
        var primary = Own(new PrivateRedis("--appendonly", "yes"));
        var replica = Own(new PrivateRedis("--appendonly", "yes", "--replicaof", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var redis = Own(primary.Connect());
        var prefix = TestServers.UniquePrefix();
        // Generous while the replica is up (a loaded machine acknowledges slowly), short once it is gone.
        var store = new RedisChannelStore(redis, prefix, minReplicas: 1, replicaTimeout: TimeSpan.FromSeconds(5));
        var impatient = new RedisChannelStore(redis, prefix, minReplicas: 1, replicaTimeout: TimeSpan.FromMilliseconds(300));
        await PipelineRig.Eventually(() => ((string?)redis.GetDatabase().Execute("INFO", "replication") ?? "").Contains("state=online", StringComparison.Ordinal),
            "the replica attached");
        var guard = Guard(store);
        await guard.CheckAsync(default);
        using var rig = new ResponderRig(store: store);

        // With the replica: receipted, and the replica holds the bundle.
        Assert.IsType<IngestResult.Accepted>(await IngestAsync(rig, guard, _metrics));
        using (var fromReplica = replica.Connect())
        {
            Assert.True(await fromReplica.GetDatabase().KeyExistsAsync(store.RecordKey(rig.Id)));
        }

        // Replica gone: the next round's upload waits ReplicaTimeout and is refused, not receipted.
        replica.Kill();
        var ingestor = new BundleIngestor(impatient, rig.Identity, new LedgerWatermark(), _metrics, rig.Time, new SubscriptionRateLimiter(rig.Time, 1_000, 1_000), new OperatorAuthority(null), guard);
        var next = rig.Channel.Seal(rig.Channel.Bundle(ResponderRig.Round + 1), rig.Identity.SealingKey.PublicKey).ToArray();
        var e = await Assert.ThrowsAsync<StoreReplicationException>(() => ingestor.IngestAsync(rig.Subscription, next, default));

        Assert.Contains("0 of 1 required replicas", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _metrics.StoreReplicationFailures.Value);
        // The retry finds the round stored but still waits for the replica: still no receipt.
        await Assert.ThrowsAsync<StoreReplicationException>(() => ingestor.IngestAsync(rig.Subscription, next, default));
        Assert.Equal(2, _metrics.StoreReplicationFailures.Value);
    }

    private sealed class RecordingPublisher : ITriggerPublisher
    {
        public List<TriggerChannel> Triggers { get; } = [];

        public Task PublishAsync(IReadOnlyCollection<TriggerChannel> triggers, CancellationToken ct)
        {
            Triggers.AddRange(triggers);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task ChannelStoredRightAfterALossNoCheckHasSeen_IsTriggeredAtOnce_AndItsBreachCountered()
    {
        using var redis = TestServers.ConnectRedis();
        var prefix = TestServers.UniquePrefix();
        var store = new RedisChannelStore(redis, prefix);
        using var rig = new ResponderRig(store: store);
        var guard = Guard(store);
        await guard.CheckAsync(default);
        var publisher = new RecordingPublisher();
        var ingestor = new BundleIngestor(store, rig.Identity, new LedgerWatermark(), _metrics, rig.Time, new SubscriptionRateLimiter(rig.Time, 1_000, 1_000), new OperatorAuthority(null), guard,
            new RecoveryTrigger(guard, rig.Ledger, publisher, rig.Time));
        var upload = rig.Channel.Seal(rig.Channel.Bundle(ResponderRig.Round), rig.Identity.SealingKey.PublicKey).ToArray();
        await Subscribe(rig);
        Assert.IsType<IngestResult.Accepted>(await ingestor.IngestAsync(rig.Subscription, upload, default));
        Assert.Empty(publisher.Triggers);

        // Wiped; the counterparty cheats; the wallet uploads again before any periodic check ran.
        await StoreWipe.WipeAsync(redis, prefix);
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        rig.Ledger.CloseLedger();
        await Subscribe(rig);
        Assert.IsType<IngestResult.Accepted>(await ingestor.IngestAsync(rig.Subscription, upload, default));

        var trigger = Assert.Single(publisher.Triggers);
        Assert.Equal((rig.Id, TriggerKind.Activity, rig.Ledger.Sequence), (trigger.ChannelId, trigger.Kind, trigger.LedgerSequence));
        Assert.True(guard.IsRecovering);
        await rig.HandleAsync(trigger);
        Assert.Equal(rig.R.Value, rig.EscrowSequence);
    }

    public void Dispose()
    {
        foreach (var d in Enumerable.Reverse(_owned))
        {
            d.Dispose();
        }
    }
}
