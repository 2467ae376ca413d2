using System.ComponentModel.DataAnnotations;

namespace Watchtower.Tower.Ingestion;

/// <summary>Fair-ingestion settings (configuration section "Tower:Ingest").</summary>
public sealed class IngestOptions
{
    /// <summary>Uploads, forgets and audits per second one subscription may sustain (token-bucket refill rate).</summary>
    [Range(0.01, 1_000_000)]
    public double PerSubscriptionRate { get; set; } = 20;

    /// <summary>How many requests one subscription may send at once above its rate (bucket size).</summary>
    [Range(1, 1_000_000)]
    public int PerSubscriptionBurst { get; set; } = 200;

    /// <summary>Most messages kept in each ingestion queue's <c>_error</c> and <c>_skipped</c> queue; the oldest are dropped beyond it.</summary>
    [Range(1, 10_000_000)]
    public int FaultQueueMaxLength { get; set; } = 10_000;

    /// <summary>How long a message stays in an ingestion <c>_error</c> or <c>_skipped</c> queue before the broker drops it.</summary>
    public TimeSpan FaultQueueTtl { get; set; } = TimeSpan.FromDays(7);
}
