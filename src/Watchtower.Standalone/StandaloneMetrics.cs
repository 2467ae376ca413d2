using Prometheus;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone;

/// <summary>
/// What the standalone network exports on <c>GET /metrics</c>. Each server has its own registry,
/// so several networks in one process (tests) never share series.
/// </summary>
internal sealed class StandaloneMetrics
{
    public StandaloneMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        LedgersClosed = factory.CreateCounter("stellar_standalone_ledgers_closed_total", "Ledgers closed.");
        CloseFailures = factory.CreateCounter("stellar_standalone_ledger_close_failures_total", "Ledger closes of the close loop that failed (the ledger stayed as it was, or was not saved); the loop goes on.");
        CloseDuration = factory.CreateHistogram("stellar_standalone_ledger_close_duration_seconds", "Time to apply and commit one ledger, persistence included.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        LedgerSequence = factory.CreateGauge("stellar_standalone_ledger_sequence", "Sequence of the latest closed ledger.");
        QueueLength = factory.CreateGauge("stellar_standalone_queue_transactions", "Transactions waiting for a ledger close.");
        Submissions = factory.CreateCounter("stellar_standalone_submissions_total", "Submissions by what became of them at once.",
            new CounterConfiguration { LabelNames = ["status"] });
        Applied = factory.CreateCounter("stellar_standalone_transactions_applied_total", "Transactions applied in a ledger, by Horizon result code.",
            new CounterConfiguration { LabelNames = ["result"] });
        Dropped = factory.CreateCounter("stellar_standalone_transactions_dropped_total", "Queued transactions dropped at a close because they stopped being valid.");
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public Counter LedgersClosed { get; }

    public Counter CloseFailures { get; }

    public Histogram CloseDuration { get; }

    public Gauge LedgerSequence { get; }

    public Gauge QueueLength { get; }

    public Counter Submissions { get; }

    public Counter Applied { get; }

    public Counter Dropped { get; }

    public void Submitted(SubmitStatus status, int queued)
    {
        Submissions.WithLabels(status switch
        {
            SubmitStatus.Pending => "pending",
            SubmitStatus.Duplicate => "duplicate",
            SubmitStatus.TryAgainLater => "try_again_later",
            _ => "error",
        }).Inc();
        QueueLength.Set(queued);
    }

    public void Closed(CloseResult closed, int queued, TimeSpan took)
    {
        LedgersClosed.Inc();
        LedgerSequence.Set(closed.Ledger.Sequence);
        CloseDuration.Observe(took.TotalSeconds);
        foreach (var tx in closed.Ledger.Transactions)
        {
            Applied.WithLabels(tx.Result.Code.ToHorizonName()).Inc();
        }

        Dropped.Inc(closed.Dropped.Length);
        QueueLength.Set(queued);
    }
}
