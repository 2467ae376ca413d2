using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.TestSupport;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Cluster;

/// <summary>The store on the Sentinel-watched primary + replica: the tower's connection, and a failover.</summary>
[RequiresCluster, Collection(ClusteredEngines.Name)]
public sealed class RedisFailoverTests
{
    private static readonly TimeSpan FailoverLimit = TimeSpan.FromSeconds(45);
    private readonly TowerSealingKey _sealing = TowerSealingKey.Generate();
    private readonly KeyPair _tower = KeyPair.Random();

    [Fact]
    public async Task TowerOnSentinels_WritesToThePrimary()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tower:Redis"] = TestServers.RedisSentinel,
            ["Tower:RabbitMq"] = TestServers.RabbitMqCluster[0].ToString(),
            ["Tower:KeyPrefix"] = TestServers.UniquePrefix(),
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddWatchtower(configuration).BuildServiceProvider();
        var redis = services.GetRequiredService<IConnectionMultiplexer>();
        var key = $"{TestServers.UniquePrefix()}:probe";

        await redis.GetDatabase().StringSetAsync(key, "written", TimeSpan.FromMinutes(1));

        using var primary = await ConnectDirectAsync(await SentinelPrimaryAsync());
        Assert.Equal("written", (string?)await primary.GetDatabase().StringGetAsync(key));
        Assert.False(primary.GetServer(primary.GetEndPoints()[0]).IsReplica);
    }

    [Fact]
    public async Task PrimaryKilled_SentinelPromotesTheReplica_AndEveryWaitedBundleIsStillThere()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(TestServers.RedisSentinel);
        var store = new RedisChannelStore(redis, TestServers.UniquePrefix());
        var channels = Enumerable.Range(0, 5).Select(_ => new TestChannel()).ToList();
        var stored = new List<(ChannelId Id, byte[] Sealed)>();
        foreach (var channel in channels)
        {
            stored.Add(await StoreAsync(store, channel, 3));
        }
        // The receipt's promise: the replica has every write before the primary goes.
        Assert.Equal(1L, (long)await redis.GetDatabase().ExecuteAsync("WAIT", 1, 5000));
        var primary = await SentinelPrimaryAsync();
        KillRedis(primary);
        try
        {
            EndPoint? promoted = null;
            ClusterTools.AssertWithin(await ClusterTools.EventuallyAsync(async () =>
            {
                promoted = await SentinelPrimaryAsync();
                return !promoted.Equals(primary);
            }, FailoverLimit), "Sentinel promotes the replica");

            ClusterTools.AssertWithin(await ClusterTools.EventuallyAsync(async () =>
            {
                foreach (var (id, bytes) in stored)
                {
                    var record = await store.GetAsync(id, CancellationToken.None);
                    Assert.NotNull(record);
                    Assert.Equal(bytes, record.SealedBundle.ToArray());
                }
                return true;
            }, FailoverLimit), "the store reads every bundle from the promoted replica");

            var after = new TestChannel();
            (ChannelId Id, byte[] Sealed)? written = null;
            ClusterTools.AssertWithin(await ClusterTools.EventuallyAsync(async () =>
            {
                written = await StoreAsync(store, after, 4);
                return true;
            }, FailoverLimit), "the store writes to the promoted replica");
            using var direct = await ConnectDirectAsync(promoted!);
            Assert.True(await direct.GetDatabase().KeyExistsAsync(store.RecordKey(written!.Value.Id)));
        }
        finally
        {
            await RestartAsReplicaAsync(primary);
        }
    }

    private async Task<(ChannelId Id, byte[] Sealed)> StoreAsync(RedisChannelStore store, TestChannel channel, ulong round)
    {
        var subscription = new Subscription(Guid.NewGuid(), channel.WalletIdentity.AccountId, 10, 1_000_000, DateTimeOffset.UnixEpoch.AddYears(60));
        await store.PutSubscriptionAsync(subscription, CancellationToken.None);
        var bundle = channel.Bundle(round);
        var sealedBundle = channel.Seal(bundle, _sealing.PublicKey);
        var receipt = BundleReceipt.Issue(_tower, bundle.ChannelId, round, sealedBundle.Hash, 100 + (uint)round);
        var result = await store.StoreAsync(subscription, ChannelMetadata.Of(bundle, subscription.Id), receipt, sealedBundle.ToArray(), CancellationToken.None);
        Assert.Equal(StoreOutcome.Stored, result.Outcome);
        return (bundle.ChannelId, sealedBundle.ToArray());
    }

    private static async Task<EndPoint> SentinelPrimaryAsync()
    {
        var sentinels = ConfigurationOptions.Parse(TestServers.RedisSentinel);
        var options = new ConfigurationOptions { CommandMap = CommandMap.Sentinel, ConnectTimeout = 2000, AbortOnConnectFail = true };
        options.EndPoints.Add(sentinels.EndPoints[0]);
        using var sentinel = await ConnectionMultiplexer.ConnectAsync(options);
        return await sentinel.GetServer(sentinels.EndPoints[0]).SentinelGetMasterAddressByNameAsync(sentinels.ServiceName!)
            ?? throw new InvalidOperationException("Sentinel names no primary");
    }

    private static async Task<ConnectionMultiplexer> ConnectDirectAsync(EndPoint server)
    {
        var options = new ConfigurationOptions { ConnectTimeout = 2000, AbortOnConnectFail = true, AllowAdmin = true };
        options.EndPoints.Add(server);
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private static int PortOf(EndPoint server) => server switch
    {
        IPEndPoint ip => ip.Port,
        DnsEndPoint dns => dns.Port,
        _ => throw new InvalidOperationException($"unexpected endpoint {server}"),
    };

    /// <summary>kill -9 of the Redis server behind <paramref name="server"/> (its pid file is scripts/services.sh's).</summary>
    private static void KillRedis(EndPoint server)
    {
        var pidFile = Path.Combine(TestServers.ServicesDirectory, $"redis-{PortOf(server)}.pid");
        using var process = Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
        process.Kill();
        process.WaitForExit();
    }

    /// <summary>Starts the killed server again from its file; Sentinel makes it the new primary's replica, as the next test expects.</summary>
    private static async Task RestartAsReplicaAsync(EndPoint server)
    {
        await ClusterTools.RunAsync("redis-server", Path.Combine(TestServers.ServicesDirectory, $"redis-{PortOf(server)}.conf"));
        ClusterTools.AssertWithin(await ClusterTools.EventuallyAsync(async () =>
        {
            using var primary = await ConnectDirectAsync(await SentinelPrimaryAsync());
            var info = await primary.GetServer(primary.GetEndPoints()[0]).InfoRawAsync("replication");
            return info is not null && info.Contains($"port={PortOf(server)},state=online", StringComparison.Ordinal);
        }, FailoverLimit), "the restarted server replicates the new primary");
    }
}
