using MassTransit;
using Watchtower.Contracts.Messages;

namespace Watchtower.Tower.Responding;

/// <summary>The responders' side of the trigger queue (competing consumers; scale by adding replicas).</summary>
public sealed class TriggerChannelConsumer(ChannelResponder responder) : IConsumer<TriggerChannel>
{
    public Task Consume(ConsumeContext<TriggerChannel> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return responder.HandleAsync(context.Message, new BusChannelEvents(context), context.CancellationToken);
    }
}
