using System.Net;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Host;

/// <summary>/readyz of the real service host over a Redis that does not persist.</summary>
public class StoreReadinessTests
{
    [Theory]
    [InlineData(false, HttpStatusCode.ServiceUnavailable)]
    [InlineData(true, HttpStatusCode.OK)]
    public async Task Readiness_OnRedisWithoutPersistence_FailsWithOneLine_UnlessNonDurableUseIsAllowed(bool allow, HttpStatusCode expected)
    {
        using var redis = new PrivateRedis("--appendonly", "no");
        await using var app = ServiceHostTests.Build(["--role", "respond"], ServiceHostTests.Settings(("Tower:Redis", redis.EndPoint),
            ("Tower:RabbitMq", TestServers.RabbitMq.ToString()), ("Tower:Store:AllowNonDurable", allow ? "true" : "false")));
        await app.StartAsync();
        try
        {
            using var http = ServiceHostTests.HttpOf(app);
            // The bus connects in the background after start: wait until it is the store that decides.
            var ready = await ServiceHostTests.ReadyAsync(http, (status, body) => status == HttpStatusCode.OK || !body.Contains("bus", StringComparison.Ordinal));

            Assert.Equal(expected, ready.Status);
            if (!allow)
            {
                Assert.Equal("Unhealthy: store not durable (appendonly no): run Redis with appendonly yes, or set Tower:Store:AllowNonDurable=true for tests",
                    ready.Body);
            }
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
