using MassTransit;

namespace Watchtower.Tower.Observability;

/// <summary>
/// Counts, for every queue of the bus (whoever's consumers it serves), the messages set aside
/// (watchtower_dead_letters_total{queue,reason}: <c>fault</c> — the consumer failed after its
/// retries; <c>unreadable</c> — the body could not be deserialized; both moved to
/// <c>&lt;queue&gt;_error</c>; <c>skipped</c> — no consumer of the queue handles its message type,
/// moved to <c>&lt;queue&gt;_skipped</c>) and those the broker delivered again after an
/// unacknowledged delivery (watchtower_redeliveries_total{queue}). A receive or consume cut short
/// by its own cancellation (the connection dropped, the bus stopping) is not acknowledged: it comes
/// back as a redelivery, so it is not counted as set aside.
/// </summary>
public sealed class DeliveryCounters(TowerMetrics metrics) : IReceiveObserver
{
    public Task PreReceive(ReceiveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Redelivered)
        {
            metrics.Redeliveries.WithLabels(QueueOf(context.InputAddress)).Inc();
        }
        return Task.CompletedTask;
    }

    // Neither consumed nor faulted: no consumer for the message type, so MassTransit skipped it.
    public Task PostReceive(ReceiveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.IsDelivered && !context.IsFaulted)
        {
            metrics.DeadLetters.WithLabels(QueueOf(context.InputAddress), "skipped").Inc();
        }
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    // Once per message, after the consumer's retries are exhausted.
    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!IsOwnCancellation(exception, context.CancellationToken))
        {
            metrics.DeadLetters.WithLabels(QueueOf(context.ReceiveContext.InputAddress), "fault").Inc();
        }
        return Task.CompletedTask;
    }

    // The receive pipeline itself failed (the body cannot be deserialized): no consumer ran.
    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!IsOwnCancellation(exception, context.CancellationToken))
        {
            metrics.DeadLetters.WithLabels(QueueOf(context.InputAddress), "unreadable").Inc();
        }
        return Task.CompletedTask;
    }

    private static bool IsOwnCancellation(Exception exception, CancellationToken ct) =>
        exception is OperationCanceledException && ct.IsCancellationRequested;

    /// <summary>The queue name: the last segment of the endpoint address (rabbitmq://host/vhost/queue).</summary>
    public static string QueueOf(Uri? address) =>
        address?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "unknown";
}
