using MassTransit;
using Microsoft.Extensions.Options;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Responding;

/// <summary>
/// The responders' queue: bounded concurrency; on RabbitMQ a quorum queue unless
/// Tower:Bus:QuorumQueues is off. Ledger failures are re-scheduled by the responder
/// and store failures retried in the consumer, so what reaches MassTransit's retry is unexpected:
/// a few tries, then <c>_error</c>, counted in watchtower_dead_letters_total.
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
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(500)));
    }
}
