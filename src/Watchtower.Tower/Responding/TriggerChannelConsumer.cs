using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Watchtower.Contracts.Messages;
using Watchtower.Ledger;
using Watchtower.Tower.Observability;

namespace Watchtower.Tower.Responding;

/// <summary>
/// The responders' side of the trigger queue (competing consumers; scale by adding replicas).
/// While the store is unreachable the trigger is retried here with capped backoff and stays
/// unacknowledged, so the broker redelivers it if this process dies: without the store nothing can
/// be re-scheduled, and dead-lettering it would drop the channel's protection silently.
/// </summary>
public sealed class TriggerChannelConsumer(
    ChannelResponder responder,
    IOptions<ResponderOptions> options,
    TowerMetrics metrics,
    TimeProvider time,
    ILogger<TriggerChannelConsumer> log) : IConsumer<TriggerChannel>
{
    public async Task Consume(ConsumeContext<TriggerChannel> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var backoff = new CappedBackoff(options.Value.RetryInitialDelay, options.Value.StoreRetryMaxDelay, time);
        while (true)
        {
            try
            {
                await responder.HandleAsync(context.Message, new OutcomeQueueEvents(context, options.Value.OutcomeQueue), context.CancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (IsStoreUnavailable(e) && !context.CancellationToken.IsCancellationRequested)
            {
                metrics.ResponderRetries.WithLabels("store_unavailable").Inc();
                log.LogWarning(e, "Channel {Channel}: the store is unreachable; retrying the trigger ({Failures} in a row)",
                    context.Message.ChannelId, backoff.ConsecutiveFailures + 1);
                await backoff.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Redis down, timing out, or not serving yet (loading, failing over): it will come back.</summary>
    public static bool IsStoreUnavailable(Exception e) =>
        e is RedisConnectionException or RedisTimeoutException
        || (e is RedisServerException s && (s.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || s.Message.StartsWith("READONLY", StringComparison.Ordinal) || s.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || s.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal) || s.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)));
}
