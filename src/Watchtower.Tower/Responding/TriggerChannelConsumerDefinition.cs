using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Watchtower.Ledger;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Responding;

/// <summary>
/// The responders' queue: bounded concurrency, retries for what a retry can fix (ledger API and Redis
/// hiccups); on RabbitMQ a quorum queue unless Tower:Bus:QuorumQueues is off.
/// </summary>
public sealed class TriggerChannelConsumerDefinition : ConsumerDefinition<TriggerChannelConsumer>
{
    private readonly TowerBusOptions _bus;

    public TriggerChannelConsumerDefinition(IOptions<ResponderOptions> options, IOptions<WatchtowerOptions> tower, IOptions<TowerBusOptions> bus)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tower);
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus.Value;
        EndpointName = MassTransitTriggerPublisher.QueueFor(tower.Value.KeyPrefix);
        ConcurrentMessageLimit = options.Value.Concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TriggerChannelConsumer> consumerConfigurator, IRegistrationContext context)
    {
        TowerBroker.ConfigureQueue(endpointConfigurator, _bus);
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<LedgerClientException>();
            r.Handle<HttpRequestException>();
            r.Handle<RedisConnectionException>();
            r.Handle<RedisTimeoutException>();
            r.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
        });
    }
}
