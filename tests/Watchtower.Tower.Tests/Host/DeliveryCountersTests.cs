using MassTransit;
using Prometheus;
using RabbitMQ.Client;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Host;

/// <summary>Messages set aside (error, skipped) and redeliveries are counted per queue, on a real broker, whatever consumer the queue serves.</summary>
public sealed class DeliveryCountersTests
{
    public sealed record Probe(int N);

    private sealed class FailingConsumer : IConsumer<Probe>
    {
        public Task Consume(ConsumeContext<Probe> context) => throw new InvalidOperationException("always fails");
    }

    /// <summary>Holds every message until the bus stops (a process that dies before acknowledging).</summary>
    private sealed class StuckConsumer(TaskCompletionSource received) : IConsumer<Probe>
    {
        public async Task Consume(ConsumeContext<Probe> context)
        {
            received.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
    }

    private sealed class OkConsumer(TaskCompletionSource<bool> handled) : IConsumer<Probe>
    {
        public Task Consume(ConsumeContext<Probe> context)
        {
            handled.TrySetResult(context.ReceiveContext.Redelivered);
            return Task.CompletedTask;
        }
    }

    private static IBusControl Bus(string queue, TowerMetrics metrics, Action<IReceiveEndpointConfigurator> consumer, Uri? broker = null) =>
        MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker ?? TestServers.RabbitMq);
            cfg.ConnectReceiveObserver(new DeliveryCounters(metrics));
            cfg.ReceiveEndpoint(queue, e =>
            {
                e.ConfigureConsumeTopology = false;
                consumer(e);
            });
        });

    private static async Task<uint> MessagesIn(string queue)
    {
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // not declared yet
        }
    }

    private static async Task DeleteQueues(params string[] queues)
    {
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        foreach (var q in queues)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(q);
        }
    }

    [Fact]
    public async Task FailedMessage_IsCountedAsADeadLetterOfItsQueue_AndIsInItsErrorQueue()
    {
        var queue = TestServers.UniquePrefix() + "-probe";
        var metrics = new TowerMetrics(new CollectorRegistry());
        var bus = Bus(queue, metrics, e =>
        {
            e.UseMessageRetry(r => r.Immediate(3));
            e.Consumer(() => new FailingConsumer());
        });
        await bus.StartAsync();
        try
        {
            var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{queue}"));
            await endpoint.Send(new Probe(1));

            await PipelineRig.Eventually(() => MessagesIn(queue + "_error").GetAwaiter().GetResult() == 1, "the message is in the error queue");
            // Once for the message, not once per retry.
            Assert.Equal(1, metrics.DeadLetters.WithLabels(queue, "fault").Value);
        }
        finally
        {
            await bus.StopAsync();
            await DeleteQueues(queue, queue + "_error");
        }
    }

    [Fact]
    public async Task UnreadableAndUnknownMessages_AreCountedAsSetAside_ByReason()
    {
        var queue = TestServers.UniquePrefix() + "-probe";
        var metrics = new TowerMetrics(new CollectorRegistry());
        var bus = Bus(queue, metrics, e => e.Consumer(() => new OkConsumer(new TaskCompletionSource<bool>())));
        await bus.StartAsync();
        try
        {
            var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
            await using var connection = await factory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            var json = new BasicProperties { ContentType = "application/vnd.masstransit+json" };
            await channel.BasicPublishAsync("", queue, mandatory: false, basicProperties: json, body: "not json at all"u8.ToArray());
            await channel.BasicPublishAsync("", queue, mandatory: false, basicProperties: json,
                body: """{"messageType":["urn:message:Nobody:Handles"],"message":{}}"""u8.ToArray());

            await PipelineRig.Eventually(() => metrics.DeadLetters.WithLabels(queue, "unreadable").Value == 1, "the unreadable message counted");
            await PipelineRig.Eventually(() => metrics.DeadLetters.WithLabels(queue, "skipped").Value == 1, "the unknown message type counted");
            await PipelineRig.Eventually(() => MessagesIn(queue + "_error").GetAwaiter().GetResult() == 1, "the unreadable message in the error queue");
            await PipelineRig.Eventually(() => MessagesIn(queue + "_skipped").GetAwaiter().GetResult() == 1, "the unknown message in the skipped queue");
            Assert.Equal(0, metrics.DeadLetters.WithLabels(queue, "fault").Value);
        }
        finally
        {
            await bus.StopAsync();
            await DeleteQueues(queue, queue + "_error", queue + "_skipped");
        }
    }

    [Fact]
    public async Task MessageInFlightWhenItsConsumerDies_IsRedelivered_AndCounted()
    {
        var queue = TestServers.UniquePrefix() + "-probe";
        var metrics = new TowerMetrics(new CollectorRegistry());
        var broker = TestServers.RabbitMq;
        await using var link = new TcpForwarder(broker.Host, broker.Port);
        link.Open();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dying = Bus(queue, metrics, e => e.Consumer(() => new StuckConsumer(received)), new UriBuilder(broker) { Port = link.Port }.Uri);
        await dying.StartAsync();
        var handled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = Bus(queue, metrics, e => e.Consumer(() => new OkConsumer(handled)));
        try
        {
            await (await dying.GetSendEndpoint(new Uri($"queue:{queue}"))).Send(new Probe(2));
            await received.Task.WaitAsync(TimeSpan.FromSeconds(20));

            link.Close(); // the process holding the unacknowledged message is gone
            await second.StartAsync();

            Assert.True(await handled.Task.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(1, metrics.Redeliveries.WithLabels(queue).Value);
            Assert.All(new[] { "fault", "unreadable", "skipped" }, reason => Assert.Equal(0, metrics.DeadLetters.WithLabels(queue, reason).Value));
        }
        finally
        {
            await second.StopAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await dying.StopAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                // It cannot reach the broker any more; nothing is left to hand back.
            }
            await DeleteQueues(queue, queue + "_error");
        }
    }

    [Theory]
    [InlineData("rabbitmq://127.0.0.1:5672/wt-respond", "wt-respond")]
    [InlineData("rabbitmq://127.0.0.1/vhost/wt-upload-bundle", "wt-upload-bundle")]
    [InlineData(null, "unknown")]
    public void Queue_IsTheAddressesLastSegment(string? address, string queue) =>
        Assert.Equal(queue, DeliveryCounters.QueueOf(address is null ? null : new Uri(address)));
}
