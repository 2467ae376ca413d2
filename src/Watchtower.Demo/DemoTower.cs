using System.Collections.Concurrent;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;
using Watchtower.TowerClient;
using TowerChannelStore = Watchtower.Tower.Storage.IChannelStore;

namespace Watchtower.Demo;

/// <summary>
/// The tower, composed exactly as the service host composes it (<c>services.AddWatchtower</c>, all
/// roles: ingestion, tailer, responders) but inside the demo's process: in-memory bus and store by
/// default, or RabbitMQ and Redis. It tails the standalone network through its Horizon API like
/// any deployment would. The demo only talks to it through the bus (subscriptions signed by the
/// demo's own operator key, uploads, and the outcome events on the operator-only outcome queue),
/// and reads the tailer's status to know which ledgers it has seen.
/// </summary>
public sealed class DemoTower : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly HostReceiveEndpointHandle _events;
    private readonly DemoStack? _stack;
    private readonly KeyPair _operatorKey;

    private DemoTower(IHost host, HostReceiveEndpointHandle events, TowerEvents received, KeyPair receiptKey, TowerPublicKey sealingKey, string keyPrefix, DemoStack? stack, KeyPair operatorKey)
    {
        _operatorKey = operatorKey;
        _host = host;
        _events = events;
        Events = received;
        ReceiptKey = receiptKey.AccountId;
        SealingKey = sealingKey;
        KeyPrefix = keyPrefix;
        _stack = stack;
    }

    public AccountId ReceiptKey { get; }

    public TowerPublicKey SealingKey { get; }

    public string KeyPrefix { get; }

    public TowerEvents Events { get; }

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public TailerStatus Tailer => _host.Services.GetRequiredService<TailerStatus>();

    /// <summary>How much earlier than maxTime − D the tower force-closes (its configured safety margin).</summary>
    public TimeSpan DeadlineSafetyMargin => _host.Services.GetRequiredService<IOptions<DeadlineOptions>>().Value.SafetyMargin;

    /// <summary>The queue the tower's ingestion consumes uploads from (named after the run's prefix).</summary>
    public Uri UploadQueue => TowerQueues.SendAddress(TowerQueues.UploadBundle(KeyPrefix));

    private Uri SubscriptionQueue => TowerQueues.SendAddress(TowerQueues.Subscriptions(KeyPrefix));

    private static string OutcomeQueue(string prefix) => prefix + "-outcomes";

    /// <summary>The demo as the tower's operator: subscription commands signed with the key the embedded tower was configured with.</summary>
    public TowerOperator Operator(TimeProvider time, TimeSpan timeout) => new(Bus, _operatorKey, ReceiptKey, SubscriptionQueue, time, timeout);

    public static async Task<DemoTower> StartAsync(
        StandaloneServer network, uint startAfterLedger, KeyPair feeAccount, DemoOptions options, DemoNarrator narrator, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(narrator);
        var stack = options.Stack;
        var receiptKey = KeyPair.Random();
        var operatorKey = KeyPair.Random();
        using var sealing = TowerSealingKey.Generate();
        // One deployment per run on shared servers: its own Redis keys (and so its own tailer cursor) and responder queue.
        var prefix = stack is null ? "wt" : "demo-" + Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?>
        {
            ["Tower:Embedded"] = stack is null ? "true" : "false",
            ["Tower:Roles"] = options.TowerRoles.ToString(),
            ["Tower:KeyPrefix"] = prefix,
            ["Tower:Keys:ReceiptSecret"] = receiptKey.Seed.ToString(),
            ["Tower:Keys:SealingKey"] = Convert.ToBase64String(sealing.ExportPrivateKey()),
            ["Tower:Keys:FeeAccountSecret"] = feeAccount.Seed.ToString(),
            ["Tower:Keys:OperatorKey"] = operatorKey.AccountId.ToString(),
            ["Tower:Responder:OutcomeQueue"] = OutcomeQueue(prefix),
            ["Tower:Tailer:StartAfterLedger"] = startAfterLedger.ToString(CultureInfo.InvariantCulture),
            ["Ledger:Url"] = network.HorizonUri.ToString(),
            ["Ledger:NetworkPassphrase"] = network.Network.Passphrase,
        };
        if (stack is not null)
        {
            settings["Tower:Redis"] = stack.Redis;
            settings["Tower:RabbitMq"] = stack.RabbitMq.ToString();
            // A demo run removes its keys when done: it promises nothing beyond the run, on any Redis.
            settings["Tower:Store:AllowNonDurable"] = "true";
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(new NarratorLoggerProvider(narrator, options.Verbose));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("MassTransit", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddWatchtower(builder.Configuration);
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(30);
            o.StopTimeout = TimeSpan.FromSeconds(10);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            // Whatever did start must not outlive the failed start: disposing cancels the background services.
            host.Dispose();
            throw;
        }

        var received = new TowerEvents();
        var bus = host.Services.GetRequiredService<IBus>();
        // The operator-only queue the responders send outcomes to; bound to no exchange of the message types.
        var handle = bus.ConnectReceiveEndpoint(OutcomeQueue(prefix), e =>
        {
            e.ConfigureConsumeTopology = false;
            e.Handler<BreachCountered>(c => received.Add(c.Message));
            e.Handler<DeadlineForceClosed>(c => received.Add(c.Message));
            e.Handler<SnapshotsSubmitted>(c => received.Add(c.Message));
            e.Handler<ChannelSettled>(c => received.Add(c.Message));
            e.Handler<ChannelCorrupted>(c => received.Add(c.Message));
        });
        await handle.Ready.ConfigureAwait(false);
        return new DemoTower(host, handle, received, receiptKey, sealing.PublicKey, prefix, stack, operatorKey);
    }

    /// <summary>The tower's queues and public keys, as a wallet's <see cref="WalletTowerClient"/> addresses them.</summary>
    public TowerAddress Address => new(ReceiptKey, SealingKey, UploadQueue, TowerQueues.SendAddress(TowerQueues.AuditChannel(KeyPrefix)));

    public async ValueTask DisposeAsync()
    {
        await _events.StopAsync().ConfigureAwait(false);
        await _host.StopAsync().ConfigureAwait(false);
        if (_stack is not null)
        {
            await RemoveRedisKeysAsync().ConfigureAwait(false);
            await RemoveQueuesAsync(_stack.RabbitMq).ConfigureAwait(false);
        }

        _host.Dispose();
    }

    /// <summary>The run's queues (and MassTransit's exchanges of the same names) would outlive it on a shared broker.</summary>
    private async Task RemoveQueuesAsync(Uri rabbitMq)
    {
        var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync().ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var channel = await connection.CreateChannelAsync().ConfigureAwait(false);
            await using (channel.ConfigureAwait(false))
            {
                foreach (var name in TowerQueues.All(KeyPrefix).Append(OutcomeQueue(KeyPrefix)))
                {
                    await channel.QueueDeleteAsync(name, ifUnused: false, ifEmpty: false).ConfigureAwait(false);
                    await channel.ExchangeDeleteAsync(name).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>A demo run leaves nothing behind in a shared Redis.</summary>
    private async Task RemoveRedisKeysAsync()
    {
        var redis = _host.Services.GetRequiredService<IConnectionMultiplexer>();
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.IsReplica)
            {
                continue;
            }

            var keys = new List<RedisKey>();
            await foreach (var key in server.KeysAsync(pattern: KeyPrefix + ":*").ConfigureAwait(false))
            {
                keys.Add(key);
            }

            if (keys.Count > 0)
            {
                await redis.GetDatabase().KeyDeleteAsync([.. keys]).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>The tower's outcome events as they arrive on the operator's outcome queue.</summary>
public sealed class TowerEvents
{
    private readonly ConcurrentQueue<object> _events = new();

    public Task Add(object message)
    {
        _events.Enqueue(message);
        return Task.CompletedTask;
    }

    public IReadOnlyList<object> All => [.. _events];

    public T? Find<T>(ChannelId channel) where T : class =>
        _events.OfType<T>().FirstOrDefault(e => ChannelOf(e) == channel);

    private static ChannelId? ChannelOf(object e) => e switch
    {
        BreachCountered b => b.ChannelId,
        DeadlineForceClosed d => d.ChannelId,
        SnapshotsSubmitted s => s.ChannelId,
        ChannelSettled s => s.ChannelId,
        ChannelCorrupted c => c.ChannelId,
        _ => null,
    };
}

/// <summary>
/// Tower log lines as they happen: the responders' decisions (what they saw on the ledger and what
/// they do about it) and warnings always, everything else at information level in verbose mode.
/// </summary>
internal sealed class NarratorLoggerProvider(DemoNarrator narrator, bool verbose) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new NarratorLogger(narrator, verbose, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class NarratorLogger(DemoNarrator narrator, bool verbose, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Warning || (logLevel >= LogLevel.Information && (verbose || category == nameof(Tower.Responding.ChannelResponder)));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var text = formatter(state, exception);
            if (exception is not null)
            {
                text += " (" + exception.GetType().Name + ": " + exception.Message + ")";
            }

            narrator.Tower(logLevel >= LogLevel.Warning ? $"{category} {logLevel.ToString().ToUpperInvariant()}: {text}" : $"{category}: {text}");
        }
    }
}
