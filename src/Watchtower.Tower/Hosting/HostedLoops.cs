using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Watchtower.Ledger;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Hosting;

/// <summary>Runs the ledger tailer (lease, stream, triggers) for the process lifetime.</summary>
public sealed class TailerService(LedgerTailer tailer) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => tailer.RunAsync(stoppingToken);
}

/// <summary>
/// Keeps the accepting-ledger watermark (stamped into receipts) current in processes that ingest,
/// whether or not their tailer leads (a leading tailer also advances it at every ledger).
/// </summary>
public sealed class LedgerWatermarkService(
    ILedgerClient ledger,
    LedgerWatermark watermark,
    IOptions<WatchtowerOptions> options,
    TimeProvider time,
    ILogger<LedgerWatermarkService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.WatermarkPollInterval, time);
        do
        {
            try
            {
                watermark.Advance((await ledger.GetLatestLedgerAsync(stoppingToken).ConfigureAwait(false)).Sequence);
            }
            catch (Exception e) when (e is LedgerClientException or HttpRequestException or IOException)
            {
                log.LogWarning(e, "Reading the latest ledger failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
