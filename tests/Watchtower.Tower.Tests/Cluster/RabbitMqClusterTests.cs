using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.TestSupport;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Responding;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;
using Watchtower.Tower.Tests.Ingestion;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Cluster;

/// <summary>
/// The ingestion consumers (and the responders' queue) on the 3-node RabbitMQ cluster, connected
/// as the tower connects: Tower:RabbitMq for credentials, Tower:RabbitMqNodes for the nodes.
/// </summary>
public sealed class ClusterIngestionHost(bool quorumQueues) : IngestionHost
{
    private ConnectionMultiplexer? _redis;

    public static WatchtowerOptions TowerOptions(string prefix) => new()
    {
        RabbitMq = TestServers.RabbitMqCluster[0],
        RabbitMqNodes = string.Join(',', TestServers.RabbitMqCluster.Select(u => $"{u.Host}:{u.Port}")),
        KeyPrefix = prefix,
    };

    protected override IChannelStore CreateStore()
    {
        _redis = TestServers.ConnectRedis();
        return new RedisChannelStore(_redis, Prefix);
    }

    protected override void ConfigureTransport(IBusRegistrationConfigurator bus)
    {
        bus.AddOptions<TowerBusOptions>().Configure(o => o.QuorumQueues = quorumQueues);
        // Declares the responders' queue too (its consumer's dependencies are needed only for a trigger).
        bus.AddConsumer<TriggerChannelConsumer, TriggerChannelConsumerDefinition>();
        var tower = TowerOptions(Prefix);
        bus.UsingRabbitMq((context, cfg) =>
        {
            TowerBroker.ConfigureHost(cfg, tower);
            cfg.ConfigureEndpoints(context);
        });
    }

    protected override Task DisposeStoreAsync()
    {
        _redis?.Dispose();
        return Task.CompletedTask;
    }
}

[RequiresCluster, Collection(ClusteredEngines.Name)]
public sealed class RabbitMqClusterTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TowerQueues_AreQuorumQueues_AndSoAreTheirErrorAndSkippedQueues()
    {
        var host = new ClusterIngestionHost(quorumQueues: true);
        await host.InitializeAsync();
        try
        {
            await ProduceErrorAndSkippedAsync(host);

            var types = await QueueTypesAsync(host.Prefix);
            foreach (var queue in TowerQueues.All(host.Prefix).Append(Error(host)).Append(Skipped(host)))
            {
                Assert.Equal("quorum", types.GetValueOrDefault(queue));
            }
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task QuorumQueuesOff_DeclaresClassicQueues()
    {
        var host = new ClusterIngestionHost(quorumQueues: false);
        await host.InitializeAsync();
        try
        {
            var types = await QueueTypesAsync(host.Prefix);
            Assert.All(TowerQueues.All(host.Prefix), queue => Assert.Equal("classic", types.GetValueOrDefault(queue)));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task NodeTheTowerIsConnectedToStops_UploadsStillGetTheirReceipts()
    {
        var cluster = TestServers.RabbitMqCluster;
        var names = TestServers.RabbitMqNodeNames;
        var host = new ClusterIngestionHost(quorumQueues: true);
        await host.InitializeAsync();
        // The wallet is on the last node and stays there: only the tower's node goes.
        var wallet = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(cluster[^1]));
        await wallet.StartAsync(new CancellationTokenSource(Limit).Token);
        try
        {
            var client = wallet.CreateRequestClient<UploadBundle>(TowerQueues.SendAddress(TowerQueues.UploadBundle(host.Prefix)), RequestTimeout.After(s: (int)Limit.TotalSeconds));
            var channel = new TestChannel();
            var subscription = new Subscription(Guid.NewGuid(), channel.WalletIdentity.AccountId, 10, 1_000_000, host.Time.GetUtcNow().AddDays(30));
            await host.Store.PutSubscriptionAsync(subscription, CancellationToken.None);
            Assert.Equal(1UL, (await UploadAsync(client, host, subscription, channel, 1)).Round);

            var towerNode = await TowerNodeAsync(names[^1], walletPort: cluster[^1].Port);
            await ClusterTools.RabbitMqCtlAsync(names[towerNode], "stop_app");
            try
            {
                var accepted = await UploadAsync(client, host, subscription, channel, 2);

                Assert.Equal(2UL, accepted.Round);
                Assert.Equal(2UL, (await host.Store.GetAsync(channel.ChannelId(), CancellationToken.None))!.Metadata.Round);
            }
            finally
            {
                await ClusterTools.RabbitMqCtlAsync(names[towerNode], "start_app");
                await ClusterTools.RabbitMqCtlAsync(names[towerNode], "await_startup");
            }
        }
        finally
        {
            await wallet.StopAsync();
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Triggers_WaitInTheQuorumRespondQueueBeforeAnyResponderRan_AndFailTheSendWhenItIsMissing()
    {
        var host = new ClusterIngestionHost(quorumQueues: true);
        var queue = TowerQueues.Respond(host.Prefix);
        var tailer = Bus.Factory.CreateUsingRabbitMq(cfg => TowerBroker.ConfigureHost(cfg, ClusterIngestionHost.TowerOptions(host.Prefix)));
        await tailer.StartAsync(new CancellationTokenSource(Limit).Token);
        try
        {
            var trigger = new TriggerChannel(new TestChannel().ChannelId(), TriggerKind.Deadline, 42, DateTimeOffset.UnixEpoch, null, DateTimeOffset.UnixEpoch);
            var undeclared = new MassTransitTriggerPublisher(tailer, MassTransitTriggerPublisher.QueueFor(TestServers.UniquePrefix()));
            await Assert.ThrowsAnyAsync<Exception>(() => undeclared.PublishAsync([trigger], CancellationToken.None));

            // As the tower registers it: the tailer declares the queue before its first send.
            var publisher = new MassTransitTriggerPublisher(tailer, queue,
                ct => TowerBroker.DeclareQueueAsync(ClusterIngestionHost.TowerOptions(host.Prefix), new TowerBusOptions(), queue, ct));
            await publisher.PublishAsync([trigger, trigger with { Kind = TriggerKind.FollowUp }], CancellationToken.None);

            var factory = new ConnectionFactory { Uri = TestServers.RabbitMqCluster[^1] };
            await using var connection = await factory.CreateConnectionAsync();
            await using var look = await connection.CreateChannelAsync();
            Assert.Equal(2U, (await look.QueueDeclarePassiveAsync(queue)).MessageCount);
            Assert.Equal("quorum", (await QueueTypesAsync(host.Prefix)).GetValueOrDefault(queue));
            // The responders then declare the same queue without a conflict (RabbitMQ refuses different arguments).
            await host.InitializeAsync();
        }
        finally
        {
            await tailer.StopAsync();
            await host.DisposeAsync();
        }
    }

    private static async Task<BundleAccepted> UploadAsync(IRequestClient<UploadBundle> client, IngestionHost host, Subscription subscription, TestChannel channel, ulong round)
    {
        var response = await client.GetResponse<BundleAccepted, BundleRejected>(
            new UploadBundle(subscription.Id, channel.Seal(channel.Bundle(round), host.SealingKey.PublicKey).ToArray()));
        return response.Is(out Response<BundleAccepted>? accepted)
            ? accepted!.Message
            : throw new InvalidOperationException($"upload of round {round} refused: {(response.Is(out Response<BundleRejected>? r) ? r!.Message.Reason : null)}");
    }

    /// <summary>Which cluster node (index) the tower's bus is connected to: the one other than the wallet's with connections.</summary>
    private static async Task<int> TowerNodeAsync(string anyNode, int walletPort)
    {
        var ports = (await ClusterTools.RabbitMqCtlAsync(anyNode, "list_connections", "port", "--no-table-headers"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).Where(p => p != walletPort).Distinct().ToList();
        var port = Assert.Single(ports);
        var index = TestServers.RabbitMqCluster.Select(u => u.Port).ToList().IndexOf(port);
        Assert.True(index >= 0, $"the tower is connected to port {port}, not a cluster node");
        return index;
    }

    private static string Error(IngestionHost host) => TowerQueues.UploadBundle(host.Prefix) + "_error";

    private static string Skipped(IngestionHost host) => TowerQueues.UploadBundle(host.Prefix) + "_skipped";

    /// <summary>A poison message (to _error) and a message type the upload queue does not consume (to _skipped).</summary>
    private static async Task ProduceErrorAndSkippedAsync(IngestionHost host)
    {
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMqCluster[^1] };
        await using var connection = await factory.CreateConnectionAsync();
        await using var amqp = await connection.CreateChannelAsync();
        await amqp.BasicPublishAsync("", TowerQueues.UploadBundle(host.Prefix), mandatory: true,
            new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true },
            Encoding.UTF8.GetBytes("{ this is not a message"));
        await host.SendAsync(TowerQueues.UploadBundle, new RenewSubscription(Guid.NewGuid(), DateTimeOffset.UnixEpoch.AddYears(60), null, null, DateTimeOffset.UnixEpoch, []));
        ClusterTools.AssertWithin(await ClusterTools.EventuallyAsync(async () =>
        {
            var types = await QueueTypesAsync(host.Prefix);
            return types.ContainsKey(Error(host)) && types.ContainsKey(Skipped(host));
        }, Limit), "the _error and _skipped queues appear");
    }

    private static async Task<Dictionary<string, string>> QueueTypesAsync(string prefix) =>
        (await ClusterTools.RabbitMqCtlAsync(TestServers.RabbitMqNodeNames[^1], "list_queues", "name", "type", "--no-table-headers"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(f => f.Length == 2 && f[0].StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(f => f[0], f => f[1].Trim());
}
