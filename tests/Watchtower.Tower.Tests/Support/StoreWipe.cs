using StackExchange.Redis;

namespace Watchtower.Tower.Tests.Support;

internal static class StoreWipe
{
    /// <summary>What a Redis restart without persistence does to one deployment: every key of the prefix gone.</summary>
    public static async Task WipeAsync(IConnectionMultiplexer redis, string prefix)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: prefix + ":*"))
        {
            await redis.GetDatabase().KeyDeleteAsync(key);
        }
    }
}
