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
/// the queue may be a quorum queue, which a "queue:" send would redeclare as classic). Before the
/// first send, <paramref name="declareQueue"/> (on RabbitMQ: <see cref="Hosting.TowerBroker.DeclareQueueAsync"/>)
/// declares the queue as the responders declare it, so triggers wait in it even when no responder
/// has ever run. Mandatory on RabbitMQ: should the queue still be missing (deleted), the broker
/// returns the triggers and the send fails, so the tailer retries them instead of losing them.
/// </summary>
public sealed class MassTransitTriggerPublisher(ISendEndpointProvider endpoints, string queueName, Func<CancellationToken, Task>? declareQueue = null)
    : ITriggerPublisher
{
    private bool _declared = declareQueue is null;

    /// <summary>The responders' queue of a deployment (one per Redis key prefix).</summary>
    public static string QueueFor(string keyPrefix) => $"{keyPrefix}-respond";

    public async Task PublishAsync(IReadOnlyCollection<TriggerChannel> triggers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(triggers);
        if (triggers.Count == 0)
        {
            return;
        }
        if (!_declared)
        {
            // Declaring is idempotent, so a race between two publishes only declares twice.
            await declareQueue!(ct).ConfigureAwait(false);
            _declared = true;
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
