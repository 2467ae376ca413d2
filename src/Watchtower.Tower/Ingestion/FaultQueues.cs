using MassTransit;
using Microsoft.Extensions.Options;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Observability;

namespace Watchtower.Tower.Ingestion;

/// <summary>
/// Bounds of the ingestion queues' <c>_error</c> and <c>_skipped</c> queues, where anyone who may
/// write to the upload queue can put messages: without a bound a garbage flood grows them until
/// the broker's disk alarm stops every publisher. The broker drops the oldest beyond the length or
/// the age (x-overflow drop-head); <see cref="IngestFaultObserver"/> counts each one moved there.
/// </summary>
public static class FaultQueues
{
    public static void BoundIngestionFaultQueues(this IRabbitMqBusFactoryConfigurator cfg, string keyPrefix, IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(options);
        var bounded = TowerQueues.IngestionFaults(keyPrefix).ToHashSet(StringComparer.Ordinal);
        void Bound(IRabbitMqQueueConfigurator queue, string name)
        {
            if (bounded.Contains(name))
            {
                queue.SetQueueArgument("x-max-length", options.FaultQueueMaxLength);
                queue.SetQueueArgument("x-message-ttl", (long)options.FaultQueueTtl.TotalMilliseconds);
                queue.SetQueueArgument("x-overflow", "drop-head");
            }
        }
        cfg.SendTopology.ConfigureErrorSettings = s => Bound(s, (s as MassTransit.RabbitMqTransport.ErrorSettings)?.ExchangeName ?? "");
        cfg.SendTopology.ConfigureDeadLetterSettings = s => Bound(s, (s as MassTransit.RabbitMqTransport.DeadLetterSettings)?.ExchangeName ?? "");
    }
}

/// <summary>Counts ingestion messages moved to a fault queue: unreadable or failed (error) and of no consumed type (skipped).</summary>
public sealed class IngestFaultObserver(TowerMetrics metrics, IOptions<WatchtowerOptions> tower) : IReceiveObserver
{
    private readonly HashSet<string> _queues = TowerQueues.Ingestion(tower.Value.KeyPrefix).ToHashSet(StringComparer.Ordinal);

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostReceive(ReceiveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.IsDelivered && !context.IsFaulted && IsIngestion(context))
        {
            metrics.IngestFaults.WithLabels("skipped").Inc();
        }
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (IsIngestion(context))
        {
            metrics.IngestFaults.WithLabels("error").Inc();
        }
        return Task.CompletedTask;
    }

    // The responder's queue has its own accounting; only what wallets and operators can send counts here.
    private bool IsIngestion(ReceiveContext context) => _queues.Contains(context.InputAddress.AbsolutePath.TrimStart('/').Split('/')[^1]);
}
