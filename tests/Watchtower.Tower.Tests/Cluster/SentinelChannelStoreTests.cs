using StackExchange.Redis;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Cluster;

/// <summary>
/// The store contract on the Sentinel-managed primary, connected as the tower connects
/// (Tower:Redis = the Sentinels' configuration string with serviceName).
/// </summary>
[RequiresCluster, Collection(ClusteredEngines.Name)]
public sealed class SentinelChannelStoreTests : ChannelStoreContractTests, IDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestServers.RedisSentinel);

    protected override IChannelStore CreateStore(int maxChanges = 100_000) => new RedisChannelStore(_redis, TestServers.UniquePrefix(), maxChanges);

    public void Dispose() => _redis.Dispose();
}
