using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;

namespace Watchtower.Benchmarks.Tower.Harness;

/// <summary>
/// The tower as the service runs it (<see cref="WatchtowerServiceCollectionExtensions.AddWatchtower"/>
/// with Redis and RabbitMQ), in this process, against a standalone network served over HTTP.
/// </summary>
internal static class TowerProcess
{
    public static async Task<IHost> StartAsync(
        BenchOptions options, StandaloneServer network, string roles, string prefix, KeyPair receiptKey, byte[] sealingKey,
        IReadOnlyDictionary<string, string?> extra, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var settings = new Dictionary<string, string?>
        {
            ["Ledger:Kind"] = "Horizon",
            ["Ledger:Url"] = network.HorizonUri.ToString(),
            ["Ledger:NetworkPassphrase"] = network.Network.Passphrase,
            ["Tower:Roles"] = roles,
            ["Tower:Redis"] = options.Redis,
            ["Tower:RabbitMq"] = options.RabbitMq.ToString(),
            ["Tower:KeyPrefix"] = prefix,
            // The ingest bench preloads uploads with "queue:" sends before any consumer declares the
            // queue (so as a classic queue), timing the tower apart from the wallets' publishing.
            ["Tower:Bus:QuorumQueues"] = "false",
            ["Tower:Keys:ReceiptSecret"] = receiptKey.Seed.ToString(),
            ["Tower:Keys:SealingKey"] = Convert.ToBase64String(sealingKey),
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddWatchtower(builder.Configuration);
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
