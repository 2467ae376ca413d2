using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Watchtower.Standalone.Engine;
using Watchtower.Standalone.Http;
using Watchtower.Stellar;

namespace Watchtower.Standalone;

/// <summary>A closed ledger as the server reports it.</summary>
public sealed record StandaloneLedger(uint Sequence, DateTimeOffset CloseTime, string Hash)
{
    internal static StandaloneLedger From(LedgerRecord l) => new(l.Sequence, l.Header.CloseTimeUtc, l.Header.Hash.ToString());
}

/// <summary>
/// The embedded standalone network behind Kestrel: Horizon subset at <see cref="HorizonUri"/>,
/// Stellar RPC at <see cref="RpcUri"/>, friendbot, the test-only admin clock endpoints and
/// Prometheus metrics at <c>/metrics</c>.
/// </summary>
public sealed class StandaloneServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LedgerHost _host;
    private readonly CancellationTokenSource _stopping;

    private StandaloneServer(WebApplication app, LedgerHost host, CancellationTokenSource stopping, Uri baseUri)
    {
        _app = app;
        _host = host;
        _stopping = stopping;
        HorizonUri = baseUri;
        RpcUri = new Uri(baseUri, "rpc");
    }

    public Uri HorizonUri { get; }

    public Uri RpcUri { get; }

    public Network Network => _host.Network;

    /// <summary>The root account (seed = network id), holding all lumens not given out.</summary>
    public KeyPair Root => _host.Root;

    public static async Task<StandaloneServer> StartAsync(StandaloneOptions options, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var host = new LedgerHost(options, time);
        var stopping = new CancellationTokenSource();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Parse(options.Host), options.Port));
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var app = builder.Build();
        // The Date header tells ledger time (Horizon clients such as the JS SDK derive time bounds from it).
        app.Use((ctx, next) =>
        {
            ctx.Response.OnStarting(() =>
            {
                ctx.Response.Headers.Date = host.Read(e => e.Now).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            });
            return next(ctx);
        });
        new HorizonEndpoints(host, options, stopping.Token).Map(app);
        new RpcEndpoints(host).Map(app);
        new AdminEndpoints(host).Map(app);
        app.MapGet("/metrics", async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await host.Metrics.Registry.CollectAndExportAsTextAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
        });
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.Start();
        return new StandaloneServer(app, host, stopping, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Closes a ledger now with whatever is queued.</summary>
    public Task<StandaloneLedger> CloseLedgerAsync() => Task.Run(() => StandaloneLedger.From(_host.CloseLedger()));

    /// <summary>Moves ledger time forward by <paramref name="by"/> and closes a ledger at the new time.</summary>
    public Task<StandaloneLedger> AdvanceClockAsync(TimeSpan by) => Task.Run(() => StandaloneLedger.From(_host.AdvanceClockAndClose(by)));

    /// <summary>Same as <see cref="AdvanceClockAsync"/> (the name used in docs/api-contracts.md).</summary>
    public Task<StandaloneLedger> AdvanceClockAndCloseAsync(TimeSpan by) => AdvanceClockAsync(by);

    /// <summary>Reads the engine's state consistently (tests, tools).</summary>
    public T Inspect<T>(Func<StandaloneNetwork, T> read) => _host.Read(read);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
