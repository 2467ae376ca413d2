using System.ComponentModel.DataAnnotations;

namespace Watchtower.Tower.Tailing;

/// <summary>Tailer settings (configuration section "Tower:Tailer").</summary>
public sealed class TailerOptions
{
    /// <summary>Where to start when Redis holds no cursor yet: after this ledger; null = after the network's latest ledger.</summary>
    public uint? StartAfterLedger { get; set; }

    /// <summary>Lease time-to-live: a dead leader is replaced after at most this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a standby replica tries to take the lease.</summary>
    public TimeSpan StandbyPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A due deadline or follow-up is triggered again after this much ledger time if still due (the responder clears it when done).</summary>
    public TimeSpan RetriggerInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>No ledger for this long (tower clock) means the tailer is stalled: it reports Stalled and restarts its stream.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The tailer is Synced when the last processed ledger closed at most this long ago (tower clock).</summary>
    public TimeSpan SyncedLag { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this many scheduled items are triggered per ledger (the rest on the next ones).</summary>
    [Range(1, 1_000_000)]
    public int MaxDuePerLedger { get; set; } = 10_000;
}

/// <summary>The deadline rule's safety margin, shared by the tailer (when to trigger) and the responders (when to act).</summary>
public sealed class DeadlineOptions
{
    /// <summary>Force close when maxTime(v_max) − ledger time ≤ D + this margin.</summary>
    public TimeSpan SafetyMargin { get; set; } = TimeSpan.FromMinutes(5);
}
