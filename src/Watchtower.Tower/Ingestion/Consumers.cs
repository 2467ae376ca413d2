using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Ingestion;

/// <summary>
/// Wallet uploads (request/response): replies with <see cref="BundleAccepted"/> (the signed receipt)
/// or <see cref="BundleRejected"/>, and publishes the same as an event. The message is acknowledged
/// only after the store call returned, i.e. after Redis has the bundle.
/// </summary>
public sealed class UploadBundleConsumer : IConsumer<UploadBundle>
{
    private readonly BundleIngestor _ingestor;

    public UploadBundleConsumer(BundleIngestor ingestor) => _ingestor = ingestor;

    public async Task Consume(ConsumeContext<UploadBundle> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var message = context.Message;
        // A missing payload is an empty one: the pipeline refuses it as Malformed.
        var result = await _ingestor.IngestAsync(message.SubscriptionId, message.SealedBundle ?? [], context.CancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case IngestResult.Accepted accepted:
                var receipt = BundleAccepted.From(message.SubscriptionId, accepted.Receipt);
                await Reply(context, receipt).ConfigureAwait(false);
                break;
            case IngestResult.Rejected rejected:
                var refusal = new BundleRejected(message.SubscriptionId, rejected.ChannelId, rejected.Round, rejected.Reason, rejected.Problem, rejected.Detail);
                await Reply(context, refusal).ConfigureAwait(false);
                break;
        }
    }

    private static async Task Reply<T>(ConsumeContext context, T message) where T : class
    {
        if (context.ResponseAddress is not null)
        {
            await context.RespondAsync(message).ConfigureAwait(false);
        }
        await context.Publish(message).ConfigureAwait(false);
    }
}

/// <summary>Wallet request to stop watching a channel; refusals are published as <see cref="BundleRejected"/>.</summary>
public sealed class ForgetChannelConsumer : IConsumer<ForgetChannel>
{
    private readonly BundleIngestor _ingestor;

    public ForgetChannelConsumer(BundleIngestor ingestor) => _ingestor = ingestor;

    public async Task Consume(ConsumeContext<ForgetChannel> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rejected = await _ingestor.ForgetAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        if (rejected is not null)
        {
            await context.Publish(new BundleRejected(context.Message.SubscriptionId, rejected.ChannelId, rejected.Round,
                rejected.Reason, rejected.Problem, rejected.Detail)).ConfigureAwait(false);
        }
    }
}

/// <summary>Operator commands that create and extend subscriptions.</summary>
public sealed class SubscriptionConsumer : IConsumer<RegisterSubscription>, IConsumer<RenewSubscription>
{
    private readonly IChannelStore _store;
    private readonly BundleIngestor _ingestor;

    public SubscriptionConsumer(IChannelStore store, BundleIngestor ingestor)
    {
        _store = store;
        _ingestor = ingestor;
    }

    public async Task Consume(ConsumeContext<RegisterSubscription> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        if (!AccountId.TryParse(m.WalletKey, out var walletKey) || m.MaxChannels < 0 || m.MaxBytes < 0)
        {
            _ingestor.CountRejection(RejectionReason.Malformed);
            await context.Publish(new BundleRejected(m.SubscriptionId, null, null, RejectionReason.Malformed, ContentProblem.None,
                "invalid wallet key or negative quota")).ConfigureAwait(false);
            return;
        }
        await _store.PutSubscriptionAsync(new Subscription(m.SubscriptionId, walletKey, m.MaxChannels, m.MaxBytes, m.ExpiresAt), context.CancellationToken).ConfigureAwait(false);
    }

    public async Task Consume(ConsumeContext<RenewSubscription> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        var current = await _store.GetSubscriptionAsync(m.SubscriptionId, context.CancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            _ingestor.CountRejection(RejectionReason.UnknownSubscription);
            await context.Publish(new BundleRejected(m.SubscriptionId, null, null, RejectionReason.UnknownSubscription, ContentProblem.None,
                $"no subscription {m.SubscriptionId}")).ConfigureAwait(false);
            return;
        }
        await _store.PutSubscriptionAsync(current with
        {
            ExpiresAt = m.ExpiresAt,
            MaxChannels = m.MaxChannels ?? current.MaxChannels,
            MaxBytes = m.MaxBytes ?? current.MaxBytes,
        }, context.CancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// What every ingestion endpoint shares. Messages are sent to the queue by name, never bound to
/// the message types' exchanges, so a publish cannot reach another deployment's queue on a shared
/// broker. Retries only what a retry can fix: Redis being unreachable or slow. Validation failures
/// are answered, never thrown, and anything else unexpected goes to the error queue after the
/// first attempt, so a poison message never blocks the queue. On RabbitMQ the queue is a quorum
/// queue unless Tower:Bus:QuorumQueues is off.
/// </summary>
internal static class IngestionEndpoint
{
    public static void Configure(IReceiveEndpointConfigurator endpoint, TowerBusOptions bus)
    {
        endpoint.ConfigureConsumeTopology = false;
        TowerBroker.ConfigureQueue(endpoint, bus);
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<RedisConnectionException>();
            r.Handle<RedisTimeoutException>();
            // Too few replicas acknowledged, or a store refused as not durable: both may heal.
            r.Handle<StoreReplicationException>();
            r.Handle<StoreNotDurableException>();
            r.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
        });
    }
}

/// <summary>
/// The tower's RabbitMQ queues, every name derived from <see cref="WatchtowerOptions.KeyPrefix"/>:
/// one deployment per prefix, so several towers (or test runs) can share a broker without
/// consuming each other's messages.
/// </summary>
public static class TowerQueues
{
    public static string UploadBundle(string keyPrefix) => $"{keyPrefix}-upload-bundle";

    public static string ForgetChannel(string keyPrefix) => $"{keyPrefix}-forget-channel";

    public static string Subscriptions(string keyPrefix) => $"{keyPrefix}-subscriptions";

    public static string Respond(string keyPrefix) => MassTransitTriggerPublisher.QueueFor(keyPrefix);

    public static IReadOnlyList<string> All(string keyPrefix) =>
        [UploadBundle(keyPrefix), ForgetChannel(keyPrefix), Subscriptions(keyPrefix), Respond(keyPrefix)];

    /// <summary>
    /// The address senders use for a tower queue: its exchange, to which MassTransit binds each
    /// receive endpoint's queue of the same name. Never "queue:…": sending there makes MassTransit
    /// declare the queue without arguments, i.e. as a classic queue, which RabbitMQ refuses
    /// (PRECONDITION_FAILED) once the tower has declared it a quorum queue.
    /// </summary>
    public static Uri SendAddress(string queue) => new($"exchange:{queue}");
}

public sealed class UploadBundleConsumerDefinition : ConsumerDefinition<UploadBundleConsumer>
{
    private readonly TowerBusOptions _bus;

    public UploadBundleConsumerDefinition(IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus)
    {
        ArgumentNullException.ThrowIfNull(tower);
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus.Value;
        EndpointName = TowerQueues.UploadBundle(tower.Value.KeyPrefix);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<UploadBundleConsumer> consumerConfigurator, IRegistrationContext context) =>
        IngestionEndpoint.Configure(endpointConfigurator, _bus);
}

public sealed class ForgetChannelConsumerDefinition : ConsumerDefinition<ForgetChannelConsumer>
{
    private readonly TowerBusOptions _bus;

    public ForgetChannelConsumerDefinition(IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus)
    {
        ArgumentNullException.ThrowIfNull(tower);
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus.Value;
        EndpointName = TowerQueues.ForgetChannel(tower.Value.KeyPrefix);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ForgetChannelConsumer> consumerConfigurator, IRegistrationContext context) =>
        IngestionEndpoint.Configure(endpointConfigurator, _bus);
}

public sealed class SubscriptionConsumerDefinition : ConsumerDefinition<SubscriptionConsumer>
{
    private readonly TowerBusOptions _bus;

    public SubscriptionConsumerDefinition(IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus)
    {
        ArgumentNullException.ThrowIfNull(tower);
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus.Value;
        EndpointName = TowerQueues.Subscriptions(tower.Value.KeyPrefix);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubscriptionConsumer> consumerConfigurator, IRegistrationContext context) =>
        IngestionEndpoint.Configure(endpointConfigurator, _bus);
}

public static class IngestionRegistration
{
    /// <summary>Registers the ingestion consumers with their definitions (queues, retry policy).</summary>
    public static void AddTowerIngestionConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<UploadBundleConsumer, UploadBundleConsumerDefinition>();
        bus.AddConsumer<ForgetChannelConsumer, ForgetChannelConsumerDefinition>();
        bus.AddConsumer<SubscriptionConsumer, SubscriptionConsumerDefinition>();
    }
}
