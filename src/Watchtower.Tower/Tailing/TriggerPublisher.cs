using MassTransit;
using Watchtower.Contracts.Messages;

namespace Watchtower.Tower.Tailing;

/// <summary>Where the tailer's triggers go. Completing means the broker has them (publisher confirms).</summary>
public interface ITriggerPublisher
{
    Task PublishAsync(IReadOnlyCollection<TriggerChannel> triggers, CancellationToken ct);
}

/// <summary>
/// Sends triggers to the responders' queue, through its exchange (<see cref="Ingestion.TowerQueues.SendAddress"/>:
/// the queue may be a quorum queue, which a "queue:" send would redeclare as classic). Mandatory on
/// RabbitMQ: while no responder has ever declared and bound the queue, the broker returns the
/// triggers and the send fails, so the tailer retries them instead of losing them.
/// </summary>
public sealed class MassTransitTriggerPublisher(ISendEndpointProvider endpoints, string queueName) : ITriggerPublisher
{
    /// <summary>The responders' queue of a deployment (one per Redis key prefix).</summary>
    public static string QueueFor(string keyPrefix) => $"{keyPrefix}-respond";

    public async Task PublishAsync(IReadOnlyCollection<TriggerChannel> triggers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(triggers);
        if (triggers.Count == 0)
        {
            return;
        }
        var endpoint = await endpoints.GetSendEndpoint(Ingestion.TowerQueues.SendAddress(queueName)).ConfigureAwait(false);
        await endpoint.SendBatch(triggers, context =>
        {
            if (context.TryGetPayload(out RabbitMqSendContext? rabbit))
            {
                rabbit.Mandatory = true;
            }
        }, ct).ConfigureAwait(false);
    }
}
