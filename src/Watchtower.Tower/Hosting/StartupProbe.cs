using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using StackExchange.Redis;
using Watchtower.Ledger;

namespace Watchtower.Tower.Hosting;

/// <summary>Start-up settings (configuration section "Tower:Startup").</summary>
public sealed class StartupOptions
{
    /// <summary>Exit at start (code 2, one line) when Redis or RabbitMQ is unreachable, instead of waiting for them.</summary>
    public bool FailFast { get; set; }

    /// <summary>How long one connection attempt to Redis or RabbitMQ may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cap of the backoff between connection attempts while waiting.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>A server the tower needs is unreachable at start and Tower:Startup:FailFast is set.</summary>
public sealed class StartupException : Exception
{
    public StartupException() { }

    public StartupException(string message) : base(message) { }

    public StartupException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Redis and RabbitMQ at start. By default the process starts anyway (its endpoints answer,
/// readiness says which server is unreachable), the Redis connection and the bus reconnect on
/// their own, and this probe logs the wait (capped backoff) until both answer. With
/// <see cref="StartupOptions.FailFast"/> an unreachable server fails the start instead.
/// </summary>
public sealed class StartupProbe(
    IServiceProvider services,
    IOptions<WatchtowerOptions> tower,
    IOptions<StartupOptions> options,
    TimeProvider time,
    ILogger<StartupProbe> log) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.FailFast && await FirstProblemAsync(cancellationToken).ConfigureAwait(false) is { } problem)
        {
            throw new StartupException(problem);
        }
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new CappedBackoff(TimeSpan.FromSeconds(1), options.Value.RetryMaxDelay, time);
        string? last = null;
        while (await FirstProblemAsync(stoppingToken).ConfigureAwait(false) is { } problem)
        {
            var delay = backoff.NextDelay();
            if (problem != last)
            {
                log.LogWarning("Waiting at start: {Problem}; not ready until it answers (next check in {Delay})", problem, delay);
                last = problem;
            }
            await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
        }
        if (last is not null)
        {
            log.LogInformation("Redis and RabbitMQ answer now");
        }
    }

    /// <summary>The first unreachable server, as one line, or null when both answer.</summary>
    public async Task<string?> FirstProblemAsync(CancellationToken ct)
    {
        var settings = tower.Value;
        if (settings.Embedded)
        {
            return null;
        }
        var redis = (IConnectionMultiplexer)services.GetService(typeof(IConnectionMultiplexer))!;
        if (!redis.IsConnected)
        {
            return $"redis unreachable at {settings.RedisEndpoints()}";
        }
        try
        {
            var factory = new ConnectionFactory
            {
                Uri = settings.RabbitMq!,
                ClientProvidedName = "watchtower-startup-probe",
                RequestedConnectionTimeout = options.Value.ConnectTimeout,
                AutomaticRecoveryEnabled = false,
            };
            // Any node of a cluster will do (Tower:RabbitMqNodes), as for the bus.
            await using var connection = await factory.CreateConnectionAsync(TowerBroker.Endpoints(settings, factory), ct).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException or TimeoutException
            or RabbitMQ.Client.Exceptions.OperationInterruptedException or System.Net.Sockets.SocketException)
        {
            return $"rabbitmq unreachable at {string.Join(',', TowerBroker.NodesOf(settings))}: {(e.InnerException ?? e).Message}";
        }
    }

    /// <summary>
    /// The Redis connection: never aborts on a failed first connect (reconnects with capped backoff),
    /// and re-reads the topology when a write meets a replica: after a Sentinel failover the demoted
    /// primary comes back as a replica on the same address, and the connection would otherwise keep
    /// sending every write there (READONLY) until its next periodic reconfiguration.
    /// </summary>
    public static IConnectionMultiplexer ConnectRedis(string configuration, StartupOptions startup)
    {
        ArgumentNullException.ThrowIfNull(startup);
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = (int)startup.ConnectTimeout.TotalMilliseconds;
        options.ReconnectRetryPolicy = new ExponentialRetry(500, (int)startup.RetryMaxDelay.TotalMilliseconds);
        var redis = ConnectionMultiplexer.Connect(options);
        var reconfiguring = 0;
        redis.ErrorMessage += (_, e) =>
        {
            if (e.Message.StartsWith("READONLY", StringComparison.Ordinal) && Interlocked.Exchange(ref reconfiguring, 1) == 0)
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await redis.ConfigureAsync().ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Exchange(ref reconfiguring, 0);
                    }
                });
            }
        };
        return redis;
    }
}
