using MassTransit;
using Watchtower.Contracts.Messages;

namespace Watchtower.Tower.Tailing;

/// <summary>Where the tailer's triggers go. Completing means the broker has them (publisher confirms).</summary>
public interface ITriggerPublisher
{
    Task PublishAsync(IReadOnlyCollection<TriggerChannel> triggers, CancellationToken ct);
}

/// <summary>
/// Sends triggers to the responders' queue. Sent to the queue (not published to an exchange) so a
/// trigger is kept even when no responder has ever bound: MassTransit declares the queue on send.
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
        var endpoint = await endpoints.GetSendEndpoint(new Uri($"queue:{queueName}")).ConfigureAwait(false);
        await endpoint.SendBatch(triggers, ct).ConfigureAwait(false);
    }
}
