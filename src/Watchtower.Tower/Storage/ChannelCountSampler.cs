using Microsoft.Extensions.Hosting;
using Watchtower.Tower.Observability;

namespace Watchtower.Tower.Storage;

/// <summary>
/// Keeps <c>watchtower_channels_watched</c> at the store's channel count. The count is global, so
/// every replica reports the same value whichever role it has; sampling (rather than counting in the
/// code paths) stays right when channels are forgotten by responders or other replicas.
/// </summary>
public sealed class ChannelCountSampler : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private readonly IChannelStore _store;
    private readonly TowerMetrics _metrics;
    private readonly TimeProvider _time;

    public ChannelCountSampler(IChannelStore store, TowerMetrics metrics, TimeProvider time)
    {
        _store = store;
        _metrics = metrics;
        _time = time;
    }

    public async Task SampleAsync(CancellationToken ct) =>
        _metrics.ChannelsWatched.Set(await _store.CountChannelsAsync(ct).ConfigureAwait(false));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        do
        {
            try
            {
                await SampleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (StackExchange.Redis.RedisException)
            {
                // Redis briefly unreachable: keep the last value; the next tick tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
