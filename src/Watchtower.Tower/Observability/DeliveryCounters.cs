using MassTransit;

namespace Watchtower.Tower.Observability;

/// <summary>
/// Counts, for every queue of the bus (whoever's consumers it serves), the messages that failed
/// for good (moved to <c>&lt;queue&gt;_error</c>: watchtower_dead_letters_total) and those the
/// broker delivered again after an unacknowledged delivery (watchtower_redeliveries_total).
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

    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    // Called once a consumer's retries are exhausted; the error transport then moves the message to
    // _error. A consume cut short by its own cancellation (the connection dropped, the bus stopping)
    // is not acknowledged and comes back as a redelivery instead.
    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!(exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested))
        {
            metrics.DeadLetters.WithLabels(QueueOf(context.ReceiveContext.InputAddress)).Inc();
        }
        return Task.CompletedTask;
    }

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;

    /// <summary>The queue name: the last segment of the endpoint address (rabbitmq://host/vhost/queue).</summary>
    public static string QueueOf(Uri? address) =>
        address?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "unknown";
}
