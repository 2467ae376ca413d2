using MassTransit;
using Microsoft.Extensions.Options;
using Watchtower.Contracts.Messages;

namespace Watchtower.Tower.Responding;

/// <summary>The responders' side of the trigger queue (competing consumers; scale by adding replicas).</summary>
public sealed class TriggerChannelConsumer(ChannelResponder responder, IOptions<ResponderOptions> options) : IConsumer<TriggerChannel>
{
    public Task Consume(ConsumeContext<TriggerChannel> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return responder.HandleAsync(context.Message, new OutcomeQueueEvents(context, options.Value.OutcomeQueue), context.CancellationToken);
    }
}
