using MassTransit;

namespace Watchtower.TowerClient;

/// <summary>
/// A wallet's own bus to a tower's RabbitMQ broker. Starting it waits for the broker, so it is
/// started in the background, retrying with a doubling, capped backoff: the wallet serves its
/// channel meanwhile, and uploads that find the bus not yet started are retried by <see cref="WalletTowerClient"/>.
/// </summary>
public sealed class TowerBus : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<bool> _starting;

    private TowerBus(IBusControl bus, TimeProvider time, TowerClientOptions options, Action<Exception> startFailed)
    {
        _bus = bus;
        _starting = Task.Run(() => StartLoopAsync(time, options, startFailed, _stop.Token));
    }

    public IBus Bus => _bus;

    /// <summary>True once the bus is up; false if it was disposed first.</summary>
    public Task<bool> Started => _starting;

    /// <summary>A bus to the broker at <paramref name="amqp"/> (amqp://user:password@host:port/vhost); <paramref name="startFailed"/> hears each failed start.</summary>
    public static TowerBus StartRabbitMq(Uri amqp, TimeProvider time, TowerClientOptions options, Action<Exception> startFailed)
    {
        ArgumentNullException.ThrowIfNull(amqp);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(startFailed);
        if (amqp.Scheme is not ("amqp" or "amqps"))
        {
            throw new FormatException($"the tower's broker must be an amqp:// or amqps:// URI, got {amqp}");
        }

        // A bus from Bus.Factory, outside dependency injection, gets no MassTransit usage tracker (that
        // is wired by AddMassTransit, where the tower switches it off): no telemetry leaves the wallet.
        return new TowerBus(MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(amqp)), time, options, startFailed);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        var started = await _starting.ConfigureAwait(false);
        if (started)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _bus.StopAsync(limit.Token).ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task<bool> StartLoopAsync(TimeProvider time, TowerClientOptions options, Action<Exception> startFailed, CancellationToken ct)
    {
        var backoff = options.FirstRetry;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // Never cut a start short (a slow machine is not a down broker); only say that it is slow.
                var start = _bus.StartAsync(ct);
                using var slow = new CancellationTokenSource();
                if (await Task.WhenAny(start, Task.Delay(options.RequestTimeout, time, slow.Token)).ConfigureAwait(false) != start)
                {
                    startFailed(new TimeoutException($"not connected after {options.RequestTimeout.TotalSeconds} s; still trying"));
                }

                await slow.CancelAsync().ConfigureAwait(false);
                await start.ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                startFailed(e);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                await Task.Delay(backoff, time, ct).ConfigureAwait(false);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return false;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxRetry.Ticks));
        }

        return false;
    }
}
