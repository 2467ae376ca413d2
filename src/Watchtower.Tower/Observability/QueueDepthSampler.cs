using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Ingestion;

namespace Watchtower.Tower.Observability;

/// <summary>
/// Keeps <c>watchtower_queue_depth_messages</c> at the ready-message count of the tower's RabbitMQ
/// queues (uploads, forget requests, audits, subscriptions, responder triggers) and of the bounded
/// ingestion fault queues (<c>_error</c>, <c>_skipped</c>). A growing queue is the signal
/// that consumers cannot keep up, which the broker knows and the consumers do not.
/// </summary>
public sealed class QueueDepthSampler : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private readonly WatchtowerOptions _options;
    private readonly IReadOnlyList<string> _queues;
    private readonly TowerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<QueueDepthSampler> _log;

    public QueueDepthSampler(IOptions<WatchtowerOptions> options, TowerMetrics metrics, TimeProvider time, ILogger<QueueDepthSampler> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _ = options.Value.RabbitMq ?? throw new InvalidOperationException("Tower:RabbitMq is required to sample queue depths");
        _queues = [.. TowerQueues.All(options.Value.KeyPrefix), .. TowerQueues.IngestionFaults(options.Value.KeyPrefix)];
        _metrics = metrics;
        _time = time;
        _log = log;
    }

    /// <summary>Reads every queue's depth once; a queue not declared yet is left unreported.</summary>
    public async Task SampleAsync(CancellationToken ct)
    {
        var factory = new ConnectionFactory { Uri = _options.RabbitMq!, ClientProvidedName = "watchtower-queue-depth" };
        // Any node of a cluster answers for every queue; the first reachable one is used.
        await using var connection = await factory.CreateConnectionAsync(TowerBroker.Endpoints(_options, factory), ct).ConfigureAwait(false);
        foreach (var queue in _queues)
        {
            // A passive declare of a missing queue closes the channel, so each queue gets its own.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
            try
            {
                var declared = await channel.QueueDeclarePassiveAsync(queue, ct).ConfigureAwait(false);
                _metrics.QueueDepth.WithLabels(queue).Set(declared.MessageCount);
            }
            catch (OperationInterruptedException)
            {
                // Not declared yet (no consumer has started): nothing is waiting in it.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        do
        {
            try
            {
                await SampleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is BrokerUnreachableException or AlreadyClosedException or IOException)
            {
                // The broker is briefly unreachable: keep the last values; the next tick tries again.
                _log.LogWarning(e, "Cannot sample queue depths");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
