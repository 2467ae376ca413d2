using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Prometheus;
using RabbitMQ.Client;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Tailing;
using Watchtower.Tower.Tests.Storage;
using Xunit;

namespace Watchtower.Tower.Tests.Host;

public sealed class QueueDepthSamplerTests
{
    [Fact]
    public async Task WaitingTriggers_AreReportedAsTheRespondQueueDepth()
    {
        var prefix = TestServers.UniquePrefix();
        var queue = MassTransitTriggerPublisher.QueueFor(prefix);
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        try
        {
            for (var i = 0; i < 3; i++)
            {
                await channel.BasicPublishAsync("", queue, new byte[] { 1, 2, 3 });
            }

            var metrics = new TowerMetrics(Metrics.NewCustomRegistry());
            var options = Options.Create(new WatchtowerOptions { RabbitMq = TestServers.RabbitMq, KeyPrefix = prefix });
            var sampler = new QueueDepthSampler(options, metrics, TimeProvider.System, NullLogger<QueueDepthSampler>.Instance);

            await sampler.SampleAsync(CancellationToken.None);

            Assert.Equal(3, metrics.QueueDepth.WithLabels(queue).Value);
            Assert.Contains(queue, TowerQueues.All(prefix));
        }
        finally
        {
            await channel.QueueDeleteAsync(queue);
        }
    }
}
