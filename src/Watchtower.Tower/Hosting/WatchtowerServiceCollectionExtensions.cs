using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Stellar;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Responding;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Hosting;

public static class WatchtowerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the tower: options (validated at start), store (Redis, or in memory when embedded),
    /// bus (RabbitMQ, or in memory when embedded) with the consumers of the configured roles, the
    /// ledger client, and one hosted service per loop. Sections: "Tower", "Tower:Keys", "Tower:Tailer",
    /// "Tower:Deadline", "Tower:Responder", "Tower:Fees", "Tower:Ingest", "Ledger".
    /// </summary>
    public static IServiceCollection AddWatchtower(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var tower = configuration.GetSection("Tower");
        services.AddOptions<WatchtowerOptions>().Bind(tower).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TowerKeyOptions>().Bind(tower.GetSection("Keys")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TowerKeyOptions>, TowerKeyValidator>();
        services.AddOptions<TailerOptions>().Bind(tower.GetSection("Tailer")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeadlineOptions>().Bind(tower.GetSection("Deadline")).ValidateOnStart();
        services.AddOptions<ResponderOptions>().Bind(tower.GetSection("Responder")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FeeOptions>().Bind(tower.GetSection("Fees"))
            .Validate(f => f.MaxFeePerOperation >= 100, "Tower:Fees:MaxFeePerOperation must be at least the 100-stroop base fee")
            .ValidateOnStart();
        services.AddOptions<IngestOptions>().Bind(tower.GetSection("Ingest")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LedgerClientOptions>().Bind(configuration.GetSection("Ledger")).ValidateDataAnnotations().ValidateOnStart();

        // Roles and transports decide what is registered, so they are read now (and validated again at start).
        var settings = tower.Get<WatchtowerOptions>() ?? new WatchtowerOptions();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new TowerMetrics());
        services.TryAddSingleton<LedgerWatermark>();
        services.TryAddSingleton<IAcceptingLedgerSource>(sp => sp.GetRequiredService<LedgerWatermark>());
        services.TryAddSingleton(sp => CreateIdentity(sp));
        services.TryAddSingleton(sp => FeeAccountOf(sp));
        services.TryAddSingleton(sp => OperatorOf(sp));
        services.TryAddSingleton(sp =>
        {
            var ingest = sp.GetRequiredService<IOptions<IngestOptions>>().Value;
            return new SubscriptionRateLimiter(sp.GetRequiredService<TimeProvider>(), ingest.PerSubscriptionRate, ingest.PerSubscriptionBurst);
        });
        services.AddLedgerClient();

        var holder = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
        if (settings.Embedded)
        {
            services.TryAddSingleton<IChannelStore, InMemoryChannelStore>();
            services.TryAddSingleton<InMemoryLeaseGroup>();
            services.TryAddSingleton<ILease>(sp => new InMemoryLease(sp.GetRequiredService<InMemoryLeaseGroup>(), RedisTailerCursor.LeaseName,
                holder, sp.GetRequiredService<IOptions<TailerOptions>>().Value.LeaseTtl, sp.GetRequiredService<TimeProvider>()));
            services.TryAddSingleton<ITailerCursor>(sp => new InMemoryTailerCursor(sp.GetRequiredService<ILease>()));
        }
        else
        {
            services.TryAddSingleton<IConnectionMultiplexer>(sp =>
                ConnectionMultiplexer.Connect(sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.Redis!));
            services.TryAddSingleton<IChannelStore>(sp => new RedisChannelStore(sp.GetRequiredService<IConnectionMultiplexer>(),
                sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.KeyPrefix));
            services.TryAddSingleton<ILease>(sp => new RedisLease(sp.GetRequiredService<IConnectionMultiplexer>(), RedisTailerCursor.LeaseName,
                holder, sp.GetRequiredService<IOptions<TailerOptions>>().Value.LeaseTtl, sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.KeyPrefix));
            services.TryAddSingleton<ITailerCursor>(sp => new RedisTailerCursor(sp.GetRequiredService<IConnectionMultiplexer>(),
                holder, sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.KeyPrefix));
        }

        services.TryAddSingleton<BundleIngestor>();
        services.TryAddSingleton<WatchedIndex>();
        services.TryAddSingleton(sp => new WatchedIndexSync(sp.GetRequiredService<IChannelStore>(), sp.GetRequiredService<WatchedIndex>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<TailerStatus>();
        services.TryAddSingleton<ITriggerPublisher>(sp => new MassTransitTriggerPublisher(sp.GetRequiredService<IBus>(),
            MassTransitTriggerPublisher.QueueFor(sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.KeyPrefix)));
        services.TryAddSingleton<LedgerTailer>();
        services.TryAddSingleton<TransactionSubmitter>();
        services.TryAddSingleton<ChannelResponder>();

        services.AddMassTransit(bus =>
        {
            if (settings.Roles.HasFlag(WatchtowerRoles.Ingest))
            {
                bus.AddTowerIngestionConsumers();
                bus.AddReceiveObserver<IngestFaultObserver>();
            }
            if (settings.Roles.HasFlag(WatchtowerRoles.Respond))
            {
                bus.AddConsumer<TriggerChannelConsumer, TriggerChannelConsumerDefinition>();
            }
            if (settings.Embedded)
            {
                bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
            else
            {
                bus.UsingRabbitMq((context, cfg) =>
                {
                    var towerOptions = context.GetRequiredService<IOptions<WatchtowerOptions>>().Value;
                    cfg.Host(towerOptions.RabbitMq!);
                    cfg.BoundIngestionFaultQueues(towerOptions.KeyPrefix, context.GetRequiredService<IOptions<IngestOptions>>().Value);
                    cfg.ConfigureEndpoints(context);
                });
            }
        });

        // Start (and stop) only once the bus is connected, so no consumer outlives or predates its host.
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });

        if (settings.Roles.HasFlag(WatchtowerRoles.Tail))
        {
            services.AddHostedService<TailerService>();
        }
        if (settings.Roles.HasFlag(WatchtowerRoles.Ingest))
        {
            // Also beside a tailer: a standby replica's tailer does not advance the watermark.
            services.AddHostedService<LedgerWatermarkService>();
        }
        // watchtower_channels_watched: every replica samples the (global) store count.
        services.AddHostedService<ChannelCountSampler>();
        if (!settings.Embedded)
        {
            services.AddHostedService<QueueDepthSampler>();
        }
        return services;
    }

    private static TowerIdentity CreateIdentity(IServiceProvider sp)
    {
        var keys = sp.GetRequiredService<IOptions<TowerKeyOptions>>().Value;
        var ledger = sp.GetRequiredService<IOptions<LedgerClientOptions>>().Value;
        var receipt = KeyPair.FromSecret(TowerKeyOptions.Resolve(keys.ReceiptSecret, keys.ReceiptSecretFile)!);
        var sealing = TowerSealingKey.FromPrivateKey(Convert.FromBase64String(TowerKeyOptions.Resolve(keys.SealingKey, keys.SealingKeyFile)!));
        return new TowerIdentity(receipt, sealing, new Network(ledger.NetworkPassphrase));
    }

    private static OperatorAuthority OperatorOf(IServiceProvider sp) =>
        sp.GetRequiredService<IOptions<TowerKeyOptions>>().Value.OperatorKey is { Length: > 0 } key
            ? new OperatorAuthority(AccountId.Parse(key.Trim()))
            : new OperatorAuthority(null);

    private static FeeAccount FeeAccountOf(IServiceProvider sp)
    {
        var keys = sp.GetRequiredService<IOptions<TowerKeyOptions>>().Value;
        return TowerKeyOptions.Resolve(keys.FeeAccountSecret, keys.FeeAccountSecretFile) is { } secret
            ? new FeeAccount(KeyPair.FromSecret(secret))
            : FeeAccount.None;
    }
}

/// <summary>Checks at start that every configured key resolves and parses, so a bad secret fails the process, not a trigger.</summary>
internal sealed class TowerKeyValidator : IValidateOptions<TowerKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, TowerKeyOptions options)
    {
        var failures = new List<string>();
        try
        {
            var receipt = TowerKeyOptions.Resolve(options.ReceiptSecret, options.ReceiptSecretFile);
            if (receipt is null || !SecretSeed.TryParse(receipt, out _))
            {
                failures.Add("Tower:Keys:ReceiptSecret (or ReceiptSecretFile) must hold an S… secret seed");
            }
            var sealing = TowerKeyOptions.Resolve(options.SealingKey, options.SealingKeyFile);
            if (sealing is null)
            {
                failures.Add("Tower:Keys:SealingKey (or SealingKeyFile) must hold a base64 X25519 private key");
            }
            else
            {
                try
                {
                    TowerSealingKey.FromPrivateKey(Convert.FromBase64String(sealing)).Dispose();
                }
                catch (FormatException)
                {
                    failures.Add("Tower:Keys:SealingKey is not a base64 32-byte X25519 private key");
                }
            }
            if (!string.IsNullOrWhiteSpace(options.OperatorKey) && !AccountId.TryParse(options.OperatorKey.Trim(), out _))
            {
                failures.Add("Tower:Keys:OperatorKey must be the operator's G… public key");
            }
            var fee = TowerKeyOptions.Resolve(options.FeeAccountSecret, options.FeeAccountSecretFile);
            if (fee is not null && !SecretSeed.TryParse(fee, out _))
            {
                failures.Add("Tower:Keys:FeeAccountSecret is not an S… secret seed");
            }
        }
        catch (IOException e)
        {
            failures.Add($"a key file cannot be read: {e.Message}");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
