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
/// or <see cref="BundleRejected"/> to the requester only; nothing is published, so no other broker
/// user learns a subscription or channel id. The message is acknowledged only after the store call
/// returned, i.e. after Redis has the bundle.
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
                await Replies.ToRequesterAsync(context, BundleAccepted.From(message.SubscriptionId, accepted.Receipt)).ConfigureAwait(false);
                break;
            case IngestResult.Rejected rejected:
                await Replies.ToRequesterAsync(context, Replies.Refusal(message.SubscriptionId, rejected)).ConfigureAwait(false);
                break;
        }
    }
}

/// <summary>Wallet request to stop watching a channel; answers <see cref="ChannelForgotten"/> or <see cref="BundleRejected"/> to the requester.</summary>
public sealed class ForgetChannelConsumer : IConsumer<ForgetChannel>
{
    private readonly BundleIngestor _ingestor;

    public ForgetChannelConsumer(BundleIngestor ingestor) => _ingestor = ingestor;

    public async Task Consume(ConsumeContext<ForgetChannel> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (forgotten, rejected) = await _ingestor.ForgetAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        await (forgotten is not null
            ? Replies.ToRequesterAsync(context, forgotten)
            : Replies.ToRequesterAsync(context, Replies.Refusal(context.Message.SubscriptionId, rejected!))).ConfigureAwait(false);
    }
}

/// <summary>Wallet audit: answers the tower's signed <see cref="ChannelAudited"/> statement (or a refusal) to the requester.</summary>
public sealed class AuditChannelConsumer : IConsumer<AuditChannel>
{
    private readonly BundleIngestor _ingestor;

    public AuditChannelConsumer(BundleIngestor ingestor) => _ingestor = ingestor;

    public async Task Consume(ConsumeContext<AuditChannel> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (statement, rejected) = await _ingestor.AuditAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        await (statement is not null
            ? Replies.ToRequesterAsync(context, statement)
            : Replies.ToRequesterAsync(context, Replies.Refusal(context.Message.SubscriptionId, rejected!))).ConfigureAwait(false);
    }
}

/// <summary>
/// Operator commands that create and extend subscriptions, each signed by the operator key;
/// answers <see cref="SubscriptionChanged"/> or <see cref="BundleRejected"/> to the requester.
/// </summary>
public sealed class SubscriptionConsumer : IConsumer<RegisterSubscription>, IConsumer<RenewSubscription>
{
    private readonly BundleIngestor _ingestor;

    public SubscriptionConsumer(BundleIngestor ingestor) => _ingestor = ingestor;

    public async Task Consume(ConsumeContext<RegisterSubscription> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (applied, rejected) = await _ingestor.RegisterAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        await AnswerAsync(context, context.Message.SubscriptionId, applied, rejected).ConfigureAwait(false);
    }

    public async Task Consume(ConsumeContext<RenewSubscription> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (applied, rejected) = await _ingestor.RenewAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        await AnswerAsync(context, context.Message.SubscriptionId, applied, rejected).ConfigureAwait(false);
    }

    private static Task AnswerAsync(ConsumeContext context, Guid id, Subscription? applied, IngestResult.Rejected? rejected) =>
        applied is not null
            ? Replies.ToRequesterAsync(context, new SubscriptionChanged(applied.Id, applied.WalletKey.ToString(), applied.MaxChannels, applied.MaxBytes, applied.ExpiresAt))
            : Replies.ToRequesterAsync(context, Replies.Refusal(id, rejected!));
}

/// <summary>Answers go to the request's response address and nowhere else; a one-way message gets none.</summary>
internal static class Replies
{
    public static Task ToRequesterAsync<T>(ConsumeContext context, T message) where T : class =>
        context.ResponseAddress is not null ? context.RespondAsync(message) : Task.CompletedTask;

    public static BundleRejected Refusal(Guid subscriptionId, IngestResult.Rejected rejected) =>
        new(subscriptionId, rejected.ChannelId, rejected.Round, rejected.Reason, rejected.Problem, rejected.Detail);
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
        // A Fault<T> event would carry the request (subscription and channel ids) to a fanout
        // exchange any broker user may bind: faults go to the error queue only.
        endpoint.PublishFaults = false;
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
    public static string UploadBundle(string keyPrefix) => IngestionQueues.UploadBundle(keyPrefix);

    public static string ForgetChannel(string keyPrefix) => IngestionQueues.ForgetChannel(keyPrefix);

    public static string Subscriptions(string keyPrefix) => IngestionQueues.Subscriptions(keyPrefix);

    public static string AuditChannel(string keyPrefix) => IngestionQueues.AuditChannel(keyPrefix);

    public static string Respond(string keyPrefix) => MassTransitTriggerPublisher.QueueFor(keyPrefix);

    /// <summary>The queues wallets and operators send to (each with bounded <c>_error</c> and <c>_skipped</c> queues).</summary>
    public static IReadOnlyList<string> Ingestion(string keyPrefix) =>
        [UploadBundle(keyPrefix), ForgetChannel(keyPrefix), AuditChannel(keyPrefix), Subscriptions(keyPrefix)];

    /// <summary>The bounded fault queues MassTransit moves unreadable, failed or unconsumed ingestion messages to.</summary>
    public static IReadOnlyList<string> IngestionFaults(string keyPrefix) =>
        [.. Ingestion(keyPrefix).SelectMany(q => new[] { q + "_error", q + "_skipped" })];

    public static IReadOnlyList<string> All(string keyPrefix) =>
        [.. Ingestion(keyPrefix), Respond(keyPrefix)];

    /// <summary>The address senders use for a tower queue: its exchange (see <see cref="IngestionQueues.SendAddress"/>).</summary>
    public static Uri SendAddress(string queue) => IngestionQueues.SendAddress(queue);
}

/// <summary>An ingestion endpoint: its queue (named from the key prefix) with the shared retry, queue-type and fault-queue settings.</summary>
public abstract class IngestionConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly TowerBusOptions _bus;

    protected IngestionConsumerDefinition(IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus, Func<string, string> queue)
    {
        ArgumentNullException.ThrowIfNull(tower);
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(queue);
        _bus = bus.Value;
        EndpointName = queue(tower.Value.KeyPrefix);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        IngestionEndpoint.Configure(endpointConfigurator, _bus);
}

public sealed class UploadBundleConsumerDefinition(IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus)
    : IngestionConsumerDefinition<UploadBundleConsumer>(tower, bus, TowerQueues.UploadBundle);

public sealed class ForgetChannelConsumerDefinition(IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus)
    : IngestionConsumerDefinition<ForgetChannelConsumer>(tower, bus, TowerQueues.ForgetChannel);

public sealed class AuditChannelConsumerDefinition(IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus)
    : IngestionConsumerDefinition<AuditChannelConsumer>(tower, bus, TowerQueues.AuditChannel);

public sealed class SubscriptionConsumerDefinition(IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus)
    : IngestionConsumerDefinition<SubscriptionConsumer>(tower, bus, TowerQueues.Subscriptions);

public static class IngestionRegistration
{
    /// <summary>Registers the ingestion consumers with their definitions (queues, retry policy).</summary>
    public static void AddTowerIngestionConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<UploadBundleConsumer, UploadBundleConsumerDefinition>();
        bus.AddConsumer<ForgetChannelConsumer, ForgetChannelConsumerDefinition>();
        bus.AddConsumer<AuditChannelConsumer, AuditChannelConsumerDefinition>();
        bus.AddConsumer<SubscriptionConsumer, SubscriptionConsumerDefinition>();
    }
}
