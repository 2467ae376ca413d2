using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using RabbitMQ.Client;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.TestSupport;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Storage;
using Xunit;

namespace Watchtower.Tower.Tests.Ingestion;

/// <summary>A running bus with the ingestion consumers, a store, and the tower's keys.</summary>
public abstract class IngestionHost : IAsyncLifetime
{
    private ServiceProvider? _services;

    /// <summary>Key and queue prefix of this host: its queues are its own, even on a shared broker.</summary>
    public string Prefix { get; } = TestServers.UniquePrefix();

    public KeyPair ReceiptKey { get; } = KeyPair.Random();

    /// <summary>The operator key the tower obeys (its public half is configured, as Tower:Keys:OperatorKey would).</summary>
    public KeyPair OperatorKey { get; } = KeyPair.Random();

    /// <summary>Fair-ingestion settings; the clock never moves unless a test moves it, so the burst is what a subscription gets.</summary>
    public IngestOptions Ingest { get; init; } = new() { PerSubscriptionRate = 1, PerSubscriptionBurst = 40, FaultQueueMaxLength = 10_000 };
    public TowerSealingKey SealingKey { get; } = TowerSealingKey.Generate();
    public Network Network { get; } = Network.Standalone;
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch.AddYears(56));
    public LedgerWatermark Ledger { get; } = new();
    public TowerMetrics Metrics { get; } = new(Prometheus.Metrics.NewCustomRegistry());
    public IChannelStore Store { get; private set; } = null!;
    public IBus Bus => _services!.GetRequiredService<IBus>();

    protected abstract IChannelStore CreateStore();

    protected abstract void ConfigureTransport(IBusRegistrationConfigurator bus);

    public async Task InitializeAsync()
    {
        Store = CreateStore();
        Ledger.Advance(4242);
        var services = new ServiceCollection();
        services.AddSingleton(Store);
        services.AddSingleton(new TowerIdentity(ReceiptKey, SealingKey, Network));
        services.AddSingleton<IAcceptingLedgerSource>(Ledger);
        services.AddSingleton(Metrics);
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton(new OperatorAuthority(OperatorKey.AccountId));
        services.AddSingleton(new SubscriptionRateLimiter(Time, Ingest.PerSubscriptionRate, Ingest.PerSubscriptionBurst));
        services.AddSingleton<BundleIngestor>();
        services.AddOptions<WatchtowerOptions>().Configure(o => o.KeyPrefix = Prefix);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(Ingest));
        services.AddMassTransit(x =>
        {
            x.AddTowerIngestionConsumers();
            x.AddRequestClient<UploadBundle>(TowerQueues.SendAddress(TowerQueues.UploadBundle(Prefix)), RequestTimeout.After(s: 30));
            x.AddRequestClient<ForgetChannel>(TowerQueues.SendAddress(TowerQueues.ForgetChannel(Prefix)), RequestTimeout.After(s: 30));
            x.AddRequestClient<AuditChannel>(TowerQueues.SendAddress(TowerQueues.AuditChannel(Prefix)), RequestTimeout.After(s: 30));
            x.AddRequestClient<RegisterSubscription>(TowerQueues.SendAddress(TowerQueues.Subscriptions(Prefix)), RequestTimeout.After(s: 30));
            x.AddRequestClient<RenewSubscription>(TowerQueues.SendAddress(TowerQueues.Subscriptions(Prefix)), RequestTimeout.After(s: 30));
            ConfigureTransport(x);
        });
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<IBusControl>().StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.GetRequiredService<IBusControl>().StopAsync();
            await _services.DisposeAsync();
        }
        SealingKey.Dispose();
        await DisposeStoreAsync();
    }

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    /// <summary>Sends a one-way command to one of this host's queues, as wallets and operators do.</summary>
    public async Task SendAsync<T>(Func<string, string> queue, T message) where T : class =>
        await (await Bus.GetSendEndpoint(TowerQueues.SendAddress(queue(Prefix)))).Send(message);

    /// <summary>Sends a request and waits for its answer (<typeparamref name="TOk"/>) or the refusal.</summary>
    public async Task<(TOk? Ok, BundleRejected? Rejected)> RequestAsync<TRequest, TOk>(TRequest request) where TRequest : class where TOk : class
    {
        var client = _services!.GetRequiredService<IRequestClient<TRequest>>();
        var response = await client.GetResponse<TOk, BundleRejected>(request);
        return response.Is(out Response<TOk>? ok)
            ? (ok!.Message, null)
            : response.Is(out Response<BundleRejected>? rejected) ? (null, rejected!.Message) : throw new InvalidOperationException("no response");
    }

    /// <summary>A registration signed by <paramref name="signer"/> (the operator unless a test says otherwise) for this tower.</summary>
    public RegisterSubscription Registration(Guid id, AccountId wallet, DateTimeOffset issuedAt, KeyPair? signer = null, bool replace = false, int maxChannels = 10) =>
        OperatorCommands.Register(signer ?? OperatorKey, ReceiptKey.AccountId, id, wallet, maxChannels, 1_000_000, Time.GetUtcNow().AddDays(30), issuedAt, replace);

    public Task<(SubscriptionChanged? Ok, BundleRejected? Rejected)> RegisterAsync(RegisterSubscription command) =>
        RequestAsync<RegisterSubscription, SubscriptionChanged>(command);

    /// <summary>Sends an upload and waits for the receipt or the refusal.</summary>
    public async Task<(BundleAccepted? Accepted, BundleRejected? Rejected)> UploadAsync(Guid subscriptionId, byte[] sealedBundle)
    {
        var client = _services!.GetRequiredService<IRequestClient<UploadBundle>>();
        var response = await client.GetResponse<BundleAccepted, BundleRejected>(new UploadBundle(subscriptionId, sealedBundle));
        return response.Is(out Response<BundleAccepted>? accepted)
            ? (accepted!.Message, null)
            : response.Is(out Response<BundleRejected>? rejected) ? (null, rejected!.Message) : throw new InvalidOperationException("no response");
    }
}

public sealed class RabbitMqRedisHost : IngestionHost
{
    private ConnectionMultiplexer? _redis;

    protected override IChannelStore CreateStore()
    {
        _redis = TestServers.ConnectRedis();
        return new RedisChannelStore(_redis, Prefix);
    }

    protected override void ConfigureTransport(IBusRegistrationConfigurator bus) =>
        bus.UsingRabbitMq((context, cfg) =>
        {
            cfg.Host(TestServers.RabbitMq, h => h.PublisherConfirmation = true);
            cfg.BoundIngestionFaultQueues(Prefix, Ingest);
            cfg.ConfigureEndpoints(context);
        });

    protected override Task DisposeStoreAsync()
    {
        _redis?.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class InMemoryHost : IngestionHost
{
    protected override IChannelStore CreateStore() => new InMemoryChannelStore();

    protected override void ConfigureTransport(IBusRegistrationConfigurator bus) =>
        bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
}

/// <summary>The upload pipeline end to end over a real bus and store.</summary>
public abstract class IngestionContractTests<THost> : IClassFixture<THost> where THost : IngestionHost
{
    protected IngestionContractTests(THost host) => Host = host;

    protected THost Host { get; }

    private double Rejected(RejectionReason reason) => Host.Metrics.BundlesRejected.WithLabels(reason.ToLabel()).Value;

    protected async Task<(TestChannel Channel, Subscription Subscription)> SubscribedAsync(int maxChannels = 10, DateTimeOffset? expiresAt = null)
    {
        var channel = new TestChannel();
        var subscription = new Subscription(Guid.NewGuid(), channel.WalletIdentity.AccountId, maxChannels, 1_000_000,
            expiresAt ?? Host.Time.GetUtcNow().AddDays(30));
        await Host.Store.PutSubscriptionAsync(subscription, CancellationToken.None);
        return (channel, subscription);
    }

    private byte[] Sealed(TestChannel channel, ulong round) => channel.Seal(channel.Bundle(round), Host.SealingKey.PublicKey).ToArray();

    /// <summary>Uploads something that must be refused, and checks the reason, the metric, and that nothing stored changed.</summary>
    private async Task AssertRejectedAsync(Guid subscriptionId, byte[] upload, RejectionReason reason, ChannelId channelId)
    {
        var before = await Host.Store.GetAsync(channelId, CancellationToken.None);
        var counted = Rejected(reason);

        var (accepted, rejected) = await Host.UploadAsync(subscriptionId, upload);

        Assert.Null(accepted);
        Assert.Equal(reason, rejected!.Reason);
        Assert.Equal(counted + 1, Rejected(reason));
        var after = await Host.Store.GetAsync(channelId, CancellationToken.None);
        Assert.Equal(before?.Metadata, after?.Metadata);
        Assert.Equal(before?.SealedBundle.ToArray(), after?.SealedBundle.ToArray());
    }

    [Fact]
    public async Task Upload_IsStoredAndAnsweredWithAVerifiableReceipt()
    {
        var (channel, subscription) = await SubscribedAsync();
        var upload = channel.Seal(channel.Bundle(2), Host.SealingKey.PublicKey);
        var latestLedger = Host.Ledger.LatestLedger;

        var (accepted, rejected) = await Host.UploadAsync(subscription.Id, upload.ToArray());

        Assert.Null(rejected);
        var receipt = accepted!.ToReceipt();
        Assert.Equal(ReceiptCheck.Valid, ReceiptVerifier.Check(receipt, Host.ReceiptKey.AccountId, upload));
        Assert.Equal(latestLedger, receipt.AcceptingLedger);
        var stored = await Host.Store.GetAsync(channel.ChannelId(), CancellationToken.None);
        Assert.Equal(upload.ToArray(), stored!.SealedBundle.ToArray());
        Assert.Equal(receipt, stored.Receipt);
    }

    [Fact]
    public async Task SameRoundReplayed_GetsTheSameReceipt()
    {
        var (channel, subscription) = await SubscribedAsync();
        var upload = Sealed(channel, 3);
        var first = (await Host.UploadAsync(subscription.Id, upload)).Accepted!.ToReceipt();
        Host.Ledger.Advance(5000);

        var second = (await Host.UploadAsync(subscription.Id, upload)).Accepted!.ToReceipt();

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task HigherRound_ReplacesTheBundleAndItsDeadline()
    {
        var (channel, subscription) = await SubscribedAsync();
        await Host.UploadAsync(subscription.Id, Sealed(channel, 3));
        var old = (await Host.Store.GetAsync(channel.ChannelId(), CancellationToken.None))!.Metadata;

        var (accepted, _) = await Host.UploadAsync(subscription.Id, Sealed(channel, 4));

        Assert.Equal(4UL, accepted!.Round);
        var stored = (await Host.Store.GetAsync(channel.ChannelId(), CancellationToken.None))!.Metadata;
        Assert.Equal(4UL, stored.Round);
        Assert.Equal(channel.RatchetTarget(4), stored.RatchetTarget);
        var due = await Host.Store.DueAsync(stored.DeadlineTime, 10_000, CancellationToken.None);
        Assert.Contains(new ScheduledItem(channel.ChannelId(), ScheduleKind.Deadline, stored.DeadlineTime), due);
        Assert.DoesNotContain(new ScheduledItem(channel.ChannelId(), ScheduleKind.Deadline, old.DeadlineTime), due);
        Assert.Equal([channel.ChannelId()], (await Host.Store.ChannelsWatchingAsync(channel.Escrow.AccountId, CancellationToken.None)).ToArray());
    }

    [Fact]
    public async Task LowerRound_IsRejectedAsStale()
    {
        var (channel, subscription) = await SubscribedAsync();
        await Host.UploadAsync(subscription.Id, Sealed(channel, 6));
        await AssertRejectedAsync(subscription.Id, Sealed(channel, 5), RejectionReason.StaleRound, channel.ChannelId());
    }

    [Fact]
    public async Task ForgedSignature_IsRejected()
    {
        var (channel, subscription) = await SubscribedAsync();
        await Host.UploadAsync(subscription.Id, Sealed(channel, 1));
        var forged = channel.Seal(channel.Bundle(2), Host.SealingKey.PublicKey, KeyPair.Random()).ToArray();
        await AssertRejectedAsync(subscription.Id, forged, RejectionReason.BadSignature, channel.ChannelId());
    }

    [Fact]
    public async Task BundleSealedToAnotherTower_IsRejected()
    {
        var (channel, subscription) = await SubscribedAsync();
        using var other = TowerSealingKey.Generate();
        await AssertRejectedAsync(subscription.Id, channel.Seal(channel.Bundle(1), other.PublicKey).ToArray(),
            RejectionReason.WrongTowerKey, channel.ChannelId());
    }

    [Fact]
    public async Task MalformedPlaintextInsideAValidSeal_IsRejected()
    {
        var (channel, subscription) = await SubscribedAsync();
        var garbage = BundleSealer.SealPlaintext(Encoding.ASCII.GetBytes("this is not XDR at all"), channel.ChannelId(), 1,
            Host.SealingKey.PublicKey, channel.WalletIdentity);
        await AssertRejectedAsync(subscription.Id, garbage.ToArray(), RejectionReason.Malformed, channel.ChannelId());
    }

    [Fact]
    public async Task OversizedUpload_IsRejected()
    {
        var (channel, subscription) = await SubscribedAsync();
        await AssertRejectedAsync(subscription.Id, new byte[BundleLimits.MaxSealedBytes + 1], RejectionReason.Oversized, channel.ChannelId());
    }

    [Fact]
    public async Task UnknownSubscription_IsRejected()
    {
        var channel = new TestChannel();
        await AssertRejectedAsync(Guid.NewGuid(), Sealed(channel, 1), RejectionReason.UnknownSubscription, channel.ChannelId());
    }

    [Fact]
    public async Task ExpiredSubscription_IsRejected()
    {
        var (channel, subscription) = await SubscribedAsync(expiresAt: Host.Time.GetUtcNow());
        await AssertRejectedAsync(subscription.Id, Sealed(channel, 1), RejectionReason.SubscriptionExpired, channel.ChannelId());
    }

    [Fact]
    public async Task ChannelBeyondTheQuota_IsRejected()
    {
        var (channel, subscription) = await SubscribedAsync(maxChannels: 1);
        await Host.UploadAsync(subscription.Id, Sealed(channel, 1));
        var second = new TestChannel();
        var upload = second.Seal(second.Bundle(1), Host.SealingKey.PublicKey, channel.WalletIdentity).ToArray();
        await AssertRejectedAsync(subscription.Id, upload, RejectionReason.QuotaExceeded, second.ChannelId());
    }

    [Fact]
    public async Task ProtocolViolation_IsRejectedAsInvalidContentWithItsProblem()
    {
        var (channel, subscription) = await SubscribedAsync();
        var bad = channel.Bundle(1) with { Ratchet = channel.Ratchet(1, bumpTo: channel.RatchetTarget(2)) };
        await AssertRejectedAsync(subscription.Id, channel.Seal(bad, Host.SealingKey.PublicKey).ToArray(), RejectionReason.InvalidContent, channel.ChannelId());
    }

    [Fact]
    public async Task LaterRoundOffTheRatchetLine_IsRejected()
    {
        var (channel, subscription) = await SubscribedAsync();
        await Host.UploadAsync(subscription.Id, Sealed(channel, 1));
        // Round 2 must bump R to r_1 + (n + 1); this one bumps one further.
        var target = channel.RatchetTarget(2) + 1;
        var offLine = channel.Bundle(2) with
        {
            RatchetTarget = target,
            Ratchet = channel.Ratchet(2, bumpTo: target),
            Snapshots = channel.Snapshots(2, firstSequence: target + 1),
        };
        await AssertRejectedAsync(subscription.Id, channel.Seal(offLine, Host.SealingKey.PublicKey).ToArray(), RejectionReason.InvalidContent, channel.ChannelId());
    }

    [Fact]
    public async Task ForgetRequest_FreesTheChannel()
    {
        var (channel, subscription) = await SubscribedAsync();
        await Host.UploadAsync(subscription.Id, Sealed(channel, 1));

        await Host.SendAsync(TowerQueues.ForgetChannel, ForgetChannelSignature.Create(subscription.Id, channel.ChannelId(), 1, channel.WalletIdentity));

        Assert.True(await Eventually(async () => await Host.Store.GetAsync(channel.ChannelId(), CancellationToken.None) is null));
        Assert.Empty(await Host.Store.ChannelsWatchingAsync(channel.Escrow.AccountId, CancellationToken.None));
    }

    [Fact]
    public async Task ForgetRequestWithAForgedSignature_IsRefusedAndCounted()
    {
        var (channel, subscription) = await SubscribedAsync();
        await Host.UploadAsync(subscription.Id, Sealed(channel, 1));
        var counted = Rejected(RejectionReason.BadSignature);

        await Host.SendAsync(TowerQueues.ForgetChannel, ForgetChannelSignature.Create(subscription.Id, channel.ChannelId(), 1, KeyPair.Random()));

        Assert.True(await Eventually(() => Task.FromResult(Rejected(RejectionReason.BadSignature) == counted + 1)));
        Assert.NotNull(await Host.Store.GetAsync(channel.ChannelId(), CancellationToken.None));
    }

    [Fact]
    public async Task RegisteredSubscription_AcceptsUploads()
    {
        var channel = new TestChannel();
        var id = Guid.NewGuid();
        var (changed, refused) = await Host.RegisterAsync(Host.Registration(id, channel.WalletIdentity.AccountId, Host.Time.GetUtcNow()));
        Assert.Null(refused);
        Assert.Equal(channel.WalletIdentity.AccountId.ToString(), changed!.WalletKey);

        Assert.NotNull((await Host.UploadAsync(id, Sealed(channel, 1))).Accepted);
    }

    /// <summary>Waits for an effect of a one-way message (no reply to await), up to 20 s.</summary>
    protected static async Task<bool> Eventually(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 400; i++)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }
}

public sealed class RabbitMqRedisIngestionTests : IngestionContractTests<RabbitMqRedisHost>
{
    public RabbitMqRedisIngestionTests(RabbitMqRedisHost host) : base(host)
    {
    }

    [Fact]
    public async Task PoisonMessage_GoesToTheErrorQueueWithoutBlockingUploads()
    {
        var (channel, subscription) = await SubscribedAsync();
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var amqp = await connection.CreateChannelAsync();
        var errorsBefore = await ErrorCountAsync(connection, Host.Prefix);

        await amqp.BasicPublishAsync("", TowerQueues.UploadBundle(Host.Prefix), mandatory: true,
            new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true },
            Encoding.UTF8.GetBytes("{ this is not a message"));
        var (accepted, _) = await Host.UploadAsync(subscription.Id, channel.Seal(channel.Bundle(1), Host.SealingKey.PublicKey).ToArray());

        Assert.NotNull(accepted);
        Assert.True(await Eventually(async () => await ErrorCountAsync(connection, Host.Prefix) == errorsBefore + 1));
    }

    // The error queue appears with the first fault; a passive declare of a missing queue closes
    // the channel, hence a channel per look.
    private static async Task<uint> ErrorCountAsync(IConnection connection, string prefix)
    {
        await using var look = await connection.CreateChannelAsync();
        try
        {
            return (await look.QueueDeclarePassiveAsync(TowerQueues.UploadBundle(prefix) + "_error")).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }
}

public sealed class InMemoryIngestionTests : IngestionContractTests<InMemoryHost>
{
    public InMemoryIngestionTests(InMemoryHost host) : base(host)
    {
    }
}
