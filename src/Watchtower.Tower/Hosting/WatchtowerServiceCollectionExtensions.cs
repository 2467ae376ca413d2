using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
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
    /// ledger client, and one hosted service per loop. Sections: "Tower", "Tower:Keys", "Tower:Bus", "Tower:Tailer",
    /// "Tower:Store", "Tower:Deadline", "Tower:Responder", "Tower:Fees", "Tower:Ingest", "Ledger".
    /// </summary>
    public static IServiceCollection AddWatchtower(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var tower = configuration.GetSection("Tower");
        services.AddOptions<WatchtowerOptions>().Bind(tower).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TowerBusOptions>().Bind(tower.GetSection("Bus"));
        services.AddOptions<TowerKeyOptions>().Bind(tower.GetSection("Keys")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TowerKeyOptions>, TowerKeyValidator>();
        services.AddOptions<TailerOptions>().Bind(tower.GetSection("Tailer")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StoreOptions>().Bind(tower.GetSection("Store")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeadlineOptions>().Bind(tower.GetSection("Deadline")).ValidateOnStart();
        services.AddOptions<ResponderOptions>().Bind(tower.GetSection("Responder")).ValidateDataAnnotations()
            .Validate(o => o.FollowUpRetryInitialDelay >= TimeSpan.Zero && o.FollowUpRetryMaxDelay >= o.FollowUpRetryInitialDelay && o.StoreRetryMaxDelay > TimeSpan.Zero,
                "Tower:Responder: FollowUpRetryInitialDelay ≥ 0, FollowUpRetryMaxDelay ≥ FollowUpRetryInitialDelay and StoreRetryMaxDelay > 0")
            .ValidateOnStart();
        services.AddOptions<StartupOptions>().Bind(tower.GetSection("Startup"))
            .Validate(o => o.ConnectTimeout > TimeSpan.Zero && o.RetryMaxDelay > TimeSpan.Zero, "Tower:Startup:ConnectTimeout and RetryMaxDelay must be positive")
            .ValidateOnStart();
        services.AddOptions<OverdueOptions>().Bind(tower.GetSection("Overdue")).ValidateDataAnnotations()
            .Validate(o => o.Bound > TimeSpan.Zero && o.SampleInterval > TimeSpan.Zero, "Tower:Overdue:Bound and SampleInterval must be positive")
            .ValidateOnStart();
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
        services.TryAddSingleton<LedgerClock>();
        services.TryAddSingleton<RetrySchedule>();
        services.TryAddSingleton<OverdueWorkMonitor>();
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
            services.TryAddSingleton(sp => StartupProbe.ConnectRedis(sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.Redis!,
                sp.GetRequiredService<IOptions<StartupOptions>>().Value));
            services.TryAddSingleton<IChannelStore>(sp =>
            {
                var store = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
                return new RedisChannelStore(sp.GetRequiredService<IConnectionMultiplexer>(),
                    sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.KeyPrefix, minReplicas: store.MinReplicas, replicaTimeout: store.ReplicaTimeout,
                    closedChannelMemory: store.ClosedChannelMemory);
            });
            services.TryAddSingleton<ILease>(sp => new RedisLease(sp.GetRequiredService<IConnectionMultiplexer>(), RedisTailerCursor.LeaseName,
                holder, sp.GetRequiredService<IOptions<TailerOptions>>().Value.LeaseTtl, sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.KeyPrefix));
            services.TryAddSingleton<ITailerCursor>(sp => new RedisTailerCursor(sp.GetRequiredService<IConnectionMultiplexer>(),
                holder, sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value.KeyPrefix));
        }

        services.TryAddSingleton<StoreGuard>();
        services.TryAddSingleton<RecoveryTrigger>();
        services.TryAddSingleton<BundleIngestor>();
        services.TryAddSingleton<WatchedIndex>();
        services.TryAddSingleton(sp => new WatchedIndexSync(sp.GetRequiredService<IChannelStore>(), sp.GetRequiredService<WatchedIndex>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<TailerStatus>();
        services.TryAddSingleton<ITriggerPublisher>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<WatchtowerOptions>>().Value;
            var queue = MassTransitTriggerPublisher.QueueFor(options.KeyPrefix);
            var bus = sp.GetRequiredService<IOptions<TowerBusOptions>>().Value;
            return new MassTransitTriggerPublisher(sp.GetRequiredService<IBus>(), queue,
                options.Embedded ? null : ct => TowerBroker.DeclareQueueAsync(options, bus, queue, ct));
        });
        services.TryAddSingleton<LedgerTailer>();
        services.TryAddSingleton<TransactionSubmitter>();
        services.TryAddSingleton<ChannelResponder>();

        // Before the bus's hosted service, so that a fail-fast start stops before anything connects.
        if (!settings.Embedded)
        {
            services.AddHostedService<StartupProbe>();
        }

        services.AddMassTransit(bus =>
        {
            // MassTransit 8.4+ posts usage telemetry to an outside host after start: a tower
            // connects to its configured servers only.
            bus.DisableUsageTelemetry();
            if (settings.Roles.HasFlag(WatchtowerRoles.Ingest))
            {
                bus.AddTowerIngestionConsumers();
            }
            if (settings.Roles.HasFlag(WatchtowerRoles.Respond))
            {
                bus.AddConsumer<TriggerChannelConsumer, TriggerChannelConsumerDefinition>();
            }
            if (settings.Embedded)
            {
                bus.UsingInMemory((context, cfg) =>
                {
                    cfg.ConnectReceiveObserver(new DeliveryCounters(context.GetRequiredService<TowerMetrics>()));
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                bus.UsingRabbitMq((context, cfg) =>
                {
                    TowerBroker.ConfigureHost(cfg, context.GetRequiredService<IOptions<WatchtowerOptions>>().Value);
                    cfg.ConnectReceiveObserver(new DeliveryCounters(context.GetRequiredService<TowerMetrics>()));
                    cfg.BoundIngestionFaultQueues(context.GetRequiredService<IOptions<WatchtowerOptions>>().Value.KeyPrefix, context.GetRequiredService<IOptions<IngestOptions>>().Value);
                    cfg.ConfigureEndpoints(context);
                });
            }
        });

        // The bus connects in the background (retrying until the broker answers): a start with
        // RabbitMQ down must not abort the process; readiness reports the bus until it is up.
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });

        // First among the loops: its start checks persistence and joins the store epoch.
        services.AddHostedService(sp => sp.GetRequiredService<StoreGuard>());
        if (settings.Roles.HasFlag(WatchtowerRoles.Tail))
        {
            services.AddHostedService<TailerService>();
        }
        if (settings.Roles.HasFlag(WatchtowerRoles.Ingest))
        {
            // Also beside a tailer: a standby replica's tailer does not advance the watermark.
            services.AddHostedService<LedgerWatermarkService>();
        }
        if (settings.Roles.HasFlag(WatchtowerRoles.Tail) || settings.Roles.HasFlag(WatchtowerRoles.Respond))
        {
            services.AddHostedService(sp => sp.GetRequiredService<OverdueWorkMonitor>());
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

/// <summary>
/// Checks at start that every configured key resolves and parses, so a bad secret fails the process,
/// not a trigger; and that no key file is open to group or others (refused unless
/// Tower:Keys:AllowInsecureKeyFiles, then warned).
/// </summary>
internal sealed class TowerKeyValidator(ILogger<TowerKeyValidator> log) : IValidateOptions<TowerKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, TowerKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        try
        {
            foreach (var (setting, path) in options.Files())
            {
                var bits = File.Exists(path) ? TowerKeyOptions.ModeOf(path) : UnixFileMode.None;
                if ((bits & TowerKeyOptions.GroupOrOther) == 0)
                {
                    continue; // a missing file is reported below, when it is read
                }
                var mode = Convert.ToString((int)bits, 8);
                if (options.AllowInsecureKeyFiles)
                {
                    log.LogWarning("{Setting} {Path} is open to group or others (mode {Mode}); accepted because Tower:Keys:AllowInsecureKeyFiles is true",
                        setting, path, mode);
                }
                else
                {
                    failures.Add($"{setting} {path} is open to group or others (mode {mode}): chmod 600 it, or set Tower:Keys:AllowInsecureKeyFiles=true");
                }
            }
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
