using MassTransit;

namespace Watchtower.Tower.Responding;

/// <summary>Where the responder's outcome events (BreachCountered, DeadlineForceClosed, …) go.</summary>
public interface IChannelEvents
{
    Task PublishAsync<T>(T message, CancellationToken ct) where T : class;
}

/// <summary>
/// Outcome events carry channel ids, so they are never published on the bus's fanout exchanges,
/// which any broker user may bind a queue to. They are sent to the operator-only queue
/// <see cref="ResponderOptions.OutcomeQueue"/> when one is configured (the broker permissions keep
/// wallets from reading it), and otherwise only logged and counted by the responder.
/// </summary>
public sealed class OutcomeQueueEvents(ISendEndpointProvider bus, string? outcomeQueue) : IChannelEvents
{
    public async Task PublishAsync<T>(T message, CancellationToken ct) where T : class
    {
        if (outcomeQueue is null)
        {
            return;
        }
        var endpoint = await bus.GetSendEndpoint(new Uri("queue:" + outcomeQueue)).ConfigureAwait(false);
        await endpoint.Send(message, ct).ConfigureAwait(false);
    }
}
