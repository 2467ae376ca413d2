using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Prometheus;
using StackExchange.Redis;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;

namespace Watchtower.Service;

/// <summary>
/// The tower executable's host: Generic Host (ASP.NET Core for the endpoints) with the tower's
/// services for the chosen roles, <c>/healthz</c> (process alive), <c>/readyz</c> (Redis and bus
/// connected; the tailer synced where it leads; no overdue work on the tail and respond roles) and
/// <c>/metrics</c> (Prometheus).
/// </summary>
public static class WatchtowerHost
{
    public const string ReadyTag = "ready";

    public const int DefaultHttpPort = 8080;

    /// <summary>
    /// Runs the service until it is stopped (exit 0). A bad argument or setting, or (with
    /// Tower:Startup:FailFast) an unreachable Redis or RabbitMQ, is reported on
    /// <paramref name="error"/> in one line and exits 2, instead of an unhandled exception's abort.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            await using var app = Build(args);
            await app.RunAsync(ct).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is OptionsValidationException or ArgumentException)
        {
            await error.WriteLineAsync($"Watchtower.Service: invalid configuration: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (StartupException e)
        {
            await error.WriteLineAsync($"Watchtower.Service: cannot start: {e.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>Builds the application; <paramref name="args"/> accepts <c>--role ingest|tail|respond|all</c> (comma-separated for several) plus any configuration override.</summary>
    public static WebApplication Build(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var (roles, rest) = ExtractRoles(args);
        // Content root = the program's folder, where appsettings.json is copied, wherever it is
        // started from (`dotnet run --project …` from the repository root would otherwise miss it).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = rest, ContentRootPath = AppContext.BaseDirectory });
        if (roles is not null)
        {
            builder.Configuration.AddInMemoryCollection([new("Tower:Roles", roles)]);
        }
        configure?.Invoke(builder.Configuration);

        // Port 8080 as in the image and the chart, unless configured (--urls, ASPNETCORE_URLS,
        // ASPNETCORE_HTTP_PORTS, …); Kestrel's own default would be localhost:5000.
        if (new[] { WebHostDefaults.ServerUrlsKey, WebHostDefaults.HttpPortsKey, WebHostDefaults.HttpsPortsKey }
            .All(key => string.IsNullOrEmpty(builder.Configuration[key])))
        {
            builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, DefaultHttpPort.ToString(CultureInfo.InvariantCulture));
        }

        builder.Services.AddWatchtower(builder.Configuration);
        builder.Services.AddSingleton<ReadinessCheck>();
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("tower", tags: [ReadyTag]);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        var app = builder.Build();
        // Created now so every metric is exported (at zero) from the first scrape.
        app.Services.GetRequiredService<TowerMetrics>();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteReadinessAsync });
        app.MapMetrics("/metrics");
        return app;
    }

    /// <summary>The status and, when not ready, why (e.g. <c>Unhealthy: tailer Syncing</c>), so a probe's failure explains itself.</summary>
    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var reasons = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => e.Description).Where(d => !string.IsNullOrEmpty(d)).ToList();
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(report.Status + (reasons.Count == 0 ? "" : ": " + string.Join("; ", reasons)));
    }

    /// <summary>"--role x" / "--role=x" become Tower:Roles (x: ingest, tail, respond, all; comma-separated).</summary>
    public static (string? Roles, string[] Remaining) ExtractRoles(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? value = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--role" && i + 1 < args.Length)
            {
                value = args[++i];
            }
            else if (args[i].StartsWith("--role=", StringComparison.Ordinal))
            {
                value = args[i]["--role=".Length..];
            }
            else
            {
                rest.Add(args[i]);
            }
        }
        if (value is null)
        {
            return (null, [.. rest]);
        }

        var roles = WatchtowerRoles.None;
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= part.ToLowerInvariant() switch
            {
                "ingest" => WatchtowerRoles.Ingest,
                "tail" => WatchtowerRoles.Tail,
                "respond" => WatchtowerRoles.Respond,
                "all" => WatchtowerRoles.All,
                _ => throw new ArgumentException($"unknown role \"{part}\" (expected ingest, tail, respond or all)", nameof(args)),
            };
        }
        return (roles.ToString(), [.. rest]);
    }
}

/// <summary>
/// Ready when Redis and the bus are connected, the store is durable and its epoch intact, where
/// this replica leads the tailer it is synced, and (tail and respond roles) no scheduled work is overdue.
/// </summary>
internal sealed class ReadinessCheck(
    IServiceProvider services,
    IOptions<WatchtowerOptions> options,
    TailerStatus tailer,
    OverdueWorkMonitor overdue,
    MassTransit.IBusControl bus,
    StoreGuard storeGuard) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        if (!options.Value.Embedded && services.GetService<IConnectionMultiplexer>() is { IsConnected: false })
        {
            problems.Add($"redis unreachable ({options.Value.RedisEndpoints()})");
        }
        if (storeGuard.Problem is { } store)
        {
            problems.Add(store);
        }
        var busHealth = bus.CheckHealth();
        if (busHealth.Status != MassTransit.BusHealthStatus.Healthy)
        {
            problems.Add(options.Value.Embedded
                ? $"bus {busHealth.Status}: {busHealth.Description}"
                : $"rabbitmq unreachable or bus not started ({options.Value.RabbitMq?.Host}:{options.Value.RabbitMq?.Port}, bus {busHealth.Status}: {busHealth.Description})");
        }
        if ((options.Value.Roles & (WatchtowerRoles.Tail | WatchtowerRoles.Respond)) != 0 && overdue.Current.Problem is { } late)
        {
            problems.Add(late);
        }
        if (options.Value.Roles.HasFlag(WatchtowerRoles.Tail) && tailer.Current.State is TailerState.Syncing or TailerState.Stalled)
        {
            problems.Add($"tailer {tailer.Current.State}{(tailer.Current.Problem is { } p ? ": " + p : "")}");
        }
        return Task.FromResult(problems.Count == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(string.Join("; ", problems)));
    }
}
