using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Watchtower.Contracts;
using Watchtower.Service;
using Watchtower.Stellar;
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
        using var sealing = TowerSealingKey.Generate();
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Ledger:Url"] = "http://127.0.0.1:9/",
            ["Ledger:NetworkPassphrase"] = Network.Standalone.Passphrase,
            ["Tower:Keys:ReceiptSecret"] = KeyPair.Random().Seed.ToString(),
            ["Tower:Keys:SealingKey"] = Convert.ToBase64String(sealing.ExportPrivateKey()),
            ["Tower:KeyPrefix"] = TestServers.UniquePrefix(),
            ["Tower:Redis"] = redis.EndPoint,
            ["Tower:RabbitMq"] = TestServers.RabbitMq.ToString(),
            ["Tower:Store:AllowNonDurable"] = allow ? "true" : "false",
        };
        await using var app = WatchtowerHost.Build(["--role", "respond"], c => c.AddInMemoryCollection(settings));
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            HttpResponseMessage? ready = null;
            // The bus connects in the background after start: wait until it is the store that decides.
            for (var i = 0; i < 100; i++)
            {
                ready?.Dispose();
                ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                var text = await ready.Content.ReadAsStringAsync();
                if (ready.StatusCode == HttpStatusCode.OK || !text.Contains("bus", StringComparison.Ordinal))
                {
                    break;
                }
                await Task.Delay(100);
            }

            Assert.Equal(expected, ready!.StatusCode);
            if (!allow)
            {
                Assert.Equal("Unhealthy: store not durable (appendonly no): run Redis with appendonly yes, or set Tower:Store:AllowNonDurable=true for tests",
                    await ready.Content.ReadAsStringAsync());
            }
            ready.Dispose();
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
