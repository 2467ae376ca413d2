using MassTransit;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;

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
/// Retries only what a retry can fix: Redis being unreachable or slow. Validation failures are
/// answered, never thrown, and anything else unexpected goes to the error queue after the first
/// attempt, so a poison message never blocks the queue.
/// </summary>
internal static class TransientRetry
{
    public static void Configure(IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<RedisConnectionException>();
            r.Handle<RedisTimeoutException>();
            r.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
        });
}

public sealed class UploadBundleConsumerDefinition : ConsumerDefinition<UploadBundleConsumer>
{
    public UploadBundleConsumerDefinition() => EndpointName = "tower-upload-bundle";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<UploadBundleConsumer> consumerConfigurator, IRegistrationContext context) =>
        TransientRetry.Configure(endpointConfigurator);
}

public sealed class ForgetChannelConsumerDefinition : ConsumerDefinition<ForgetChannelConsumer>
{
    public ForgetChannelConsumerDefinition() => EndpointName = "tower-forget-channel";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ForgetChannelConsumer> consumerConfigurator, IRegistrationContext context) =>
        TransientRetry.Configure(endpointConfigurator);
}

public sealed class SubscriptionConsumerDefinition : ConsumerDefinition<SubscriptionConsumer>
{
    public SubscriptionConsumerDefinition() => EndpointName = "tower-subscriptions";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubscriptionConsumer> consumerConfigurator, IRegistrationContext context) =>
        TransientRetry.Configure(endpointConfigurator);
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
