using System.ComponentModel.DataAnnotations;

namespace Watchtower.Tower.Responding;

/// <summary>Responder settings (configuration section "Tower:Responder").</summary>
public sealed class ResponderOptions
{
    /// <summary>Submission attempts per transaction per trigger before giving up for this ledger (a follow-up retries later).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Concurrent triggers one responder process handles. A slot stays taken while a submission
    /// waits for its ledger (Horizon answers once the transaction is in, up to a close interval),
    /// so this bounds how many breaches of one ledger are answered at once, not CPU use: more
    /// breaches than slots (× replicas) wait a ledger per batch (BENCHMARKS.md, tower latency).
    /// </summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 128;

    /// <summary>
    /// Ledger time between a trigger that could not be completed (ledger API down, submissions
    /// giving up) and its second retry; the first is on the next ledger, later ones double up to
    /// <see cref="FollowUpRetryMaxDelay"/>, until the channel is safe or its deadline has passed.
    /// </summary>
    public TimeSpan FollowUpRetryInitialDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan FollowUpRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Wall-clock cap of the in-place retry while the store is unreachable (the trigger stays unacknowledged).</summary>
    public TimeSpan StoreRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The operator-only queue the outcome events are sent to (grant only the operator's broker user
    /// read on it); unset, they are only logged and counted. Never published on fanout exchanges.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_.:-]{1,200}$")]
    public string? OutcomeQueue { get; set; }
}
