using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Tower.Responding;
using Watchtower.Tower.Storage;

namespace Watchtower.Tower.Observability;

/// <summary>Overdue-work settings (configuration section "Tower:Overdue").</summary>
public sealed class OverdueOptions
{
    /// <summary>
    /// A deadline or follow-up still scheduled this long (ledger time) after it was due counts as
    /// overdue: readiness fails on the tail and respond roles, and the alert fires. Longer than the
    /// tailer's re-trigger interval and a few ledgers, so work in progress never counts.
    /// </summary>
    public TimeSpan Bound { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A channel this responder failed to complete is forgotten after this long without a new failure (answered elsewhere).</summary>
    public TimeSpan FailureExpiry { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>At most this many overdue items are counted per sample.</summary>
    [Range(1, 100_000)]
    public int Sample { get; set; } = 1000;
}

/// <summary>
/// Ledger time as this process last saw it (a processed ledger, a handled trigger), carried forward
/// by the wall clock: while the ledger API is down no ledger arrives, and work must still turn overdue.
/// </summary>
public sealed class LedgerClock(TimeProvider time)
{
    private readonly Lock _gate = new();
    private (DateTimeOffset Close, DateTimeOffset SeenAt)? _last;

    public void Observe(DateTimeOffset closeTime)
    {
        lock (_gate)
        {
            if (_last is not { } last || closeTime > last.Close)
            {
                _last = (closeTime, time.GetUtcNow());
            }
        }
    }

    /// <summary>The estimated ledger time now (Unix seconds), or null before any ledger was seen.</summary>
    public ulong? Now()
    {
        lock (_gate)
        {
            if (_last is not { } last)
            {
                return null;
            }
            var elapsed = time.GetUtcNow() - last.SeenAt;
            return (ulong)Math.Max(0, (last.Close + (elapsed > TimeSpan.Zero ? elapsed : TimeSpan.Zero)).ToUnixTimeSeconds());
        }
    }
}

/// <summary>What the last sample found: how many items are overdue, and the oldest.</summary>
/// <param name="Items">Scheduled items past due beyond the bound, plus channels this responder has been failing to complete for longer.</param>
public sealed record OverdueReport(int Items, TimeSpan Oldest, ChannelId? OldestChannel, TimeSpan Bound)
{
    public static OverdueReport None { get; } = new(0, TimeSpan.Zero, null, TimeSpan.Zero);

    /// <summary>The readiness problem, or null when nothing is overdue.</summary>
    public string? Problem => Items == 0
        ? null
        : $"work overdue: {Items} deadline(s) or follow-up(s) unanswered for more than {Bound.TotalSeconds:0} s of ledger time, oldest {Oldest.TotalSeconds:0} s (channel {OldestChannel})";

    /// <summary>Overdue items, in ledger seconds since due, over the bound; the oldest first. Pure.</summary>
    public static OverdueReport Of(IEnumerable<(ChannelId Channel, ulong DueAt)> items, ulong ledgerNow, TimeSpan bound)
    {
        ArgumentNullException.ThrowIfNull(items);
        var late = items.Where(i => ledgerNow >= i.DueAt && ledgerNow - i.DueAt > (ulong)bound.TotalSeconds).OrderBy(i => i.DueAt).ToList();
        return late.Count == 0
            ? None
            : new OverdueReport(late.Count, TimeSpan.FromSeconds(ledgerNow - late[0].DueAt), late[0].Channel, bound);
    }
}

/// <summary>
/// Samples the store's schedule for deadlines and follow-ups that should have been answered long
/// ago (watchtower_overdue_work_items, watchtower_overdue_work_oldest_seconds) and keeps the result
/// for readiness. Runs in the tail and respond roles.
/// </summary>
public sealed class OverdueWorkMonitor(
    IChannelStore store,
    LedgerClock clock,
    RetrySchedule retries,
    IOptions<OverdueOptions> options,
    TowerMetrics metrics,
    TimeProvider time,
    ILogger<OverdueWorkMonitor> log) : BackgroundService
{
    private OverdueReport _current = OverdueReport.None;

    public OverdueReport Current => Volatile.Read(ref _current);

    public async Task<OverdueReport> SampleAsync(CancellationToken ct)
    {
        var o = options.Value;
        var report = OverdueReport.None;
        var bound = (ulong)o.Bound.TotalSeconds;
        if (clock.Now() is { } now && now > bound)
        {
            // Not triggered or not answered (still scheduled long after due), and answered but
            // failing ever since (re-scheduled each time, so the schedule alone looks current).
            var scheduled = await store.DueAsync(now - bound, o.Sample, ct).ConfigureAwait(false);
            var failing = retries.Failing(o.FailureExpiry);
            report = OverdueReport.Of(scheduled.Select(i => (i.ChannelId, i.DueTime)).Concat(failing.Select(f => (f.Channel, f.FirstFailedAt)))
                .GroupBy(i => i.Item1, i => i.Item2).Select(g => (g.Key, g.Min())), now, o.Bound);
        }
        metrics.OverdueWork.Set(report.Items);
        metrics.OverdueWorkOldest.Set(report.Oldest.TotalSeconds);
        if (report.Items > 0 && Current.Items == 0)
        {
            log.LogError("{Problem}", report.Problem);
        }
        Volatile.Write(ref _current, report);
        return report;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval, time);
        do
        {
            try
            {
                await SampleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (RedisException e)
            {
                // The store is unreachable: readiness says so already; keep the last sample.
                log.LogDebug(e, "Sampling overdue work failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
