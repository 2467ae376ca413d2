using MassTransit;

namespace Watchtower.Tower.Responding;

/// <summary>Where the responder's outcome events (BreachCountered, DeadlineForceClosed, …) go.</summary>
public interface IChannelEvents
{
    Task PublishAsync<T>(T message, CancellationToken ct) where T : class;
}

/// <summary>Outcome events published on the bus (from inside a consumer: correlated with the trigger).</summary>
public sealed class BusChannelEvents(IPublishEndpoint bus) : IChannelEvents
{
    public Task PublishAsync<T>(T message, CancellationToken ct) where T : class => bus.Publish(message, ct);
}
