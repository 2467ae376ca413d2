using MassTransit;

namespace Watchtower.Tower.Ingestion;

/// <summary>
/// Bounds of the ingestion queues' <c>_error</c> and <c>_skipped</c> queues, where anyone who may
/// write to the upload queue can put messages: without a bound a garbage flood grows them until
/// the broker's disk alarm stops every publisher. The broker drops the oldest beyond the length or
/// the age (x-overflow drop-head); DeliveryCounters counts each one moved there (watchtower_dead_letters_total).
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
