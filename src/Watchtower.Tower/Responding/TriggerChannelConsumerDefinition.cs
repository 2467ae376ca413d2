using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Watchtower.Ledger;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Responding;

/// <summary>The responders' queue: bounded concurrency, retries for what a retry can fix (ledger API and Redis hiccups).</summary>
public sealed class TriggerChannelConsumerDefinition : ConsumerDefinition<TriggerChannelConsumer>
{
    public TriggerChannelConsumerDefinition(IOptions<ResponderOptions> options, IOptions<WatchtowerOptions> tower)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tower);
        EndpointName = MassTransitTriggerPublisher.QueueFor(tower.Value.KeyPrefix);
        ConcurrentMessageLimit = options.Value.Concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TriggerChannelConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<LedgerClientException>();
            r.Handle<HttpRequestException>();
            r.Handle<RedisConnectionException>();
            r.Handle<RedisTimeoutException>();
            r.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
        });
}
