using Prometheus;

namespace Watchtower.Tower.Observability;

/// <summary>
/// Every metric the tower exports, in one place so that docs/metrics.md, the dashboards and the
/// alert rules can be checked against it. Names follow Prometheus conventions: base units,
/// <c>_total</c> on counters.
/// </summary>
public sealed class TowerMetrics
{
    public TowerMetrics(CollectorRegistry? registry = null)
    {
        var factory = Metrics.WithCustomRegistry(registry ?? Metrics.DefaultRegistry);

        ChannelsWatched = factory.CreateGauge("watchtower_channels_watched",
            "Channels the tower currently protects.");
        BundlesAccepted = factory.CreateCounter("watchtower_bundles_accepted_total",
            "Bundles accepted and stored (a replay of the stored round counts once more as idempotent).");
        BundlesRejected = factory.CreateCounter("watchtower_bundles_rejected_total",
            "Bundles or requests rejected, by reason code.", new CounterConfiguration { LabelNames = ["reason"] });
        BundleBytes = factory.CreateHistogram("watchtower_bundle_size_bytes",
            "Size of accepted sealed bundles in bytes.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(256, 2, 10) });
        IngestDuration = factory.CreateHistogram("watchtower_ingest_duration_seconds",
            "Time from receiving an upload to acknowledging it (validation and store).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        LedgerLagLedgers = factory.CreateGauge("watchtower_ledger_lag_ledgers",
            "Ledgers between the network's latest closed ledger and the tailer's cursor.");
        LedgerLagSeconds = factory.CreateGauge("watchtower_ledger_lag_seconds",
            "Close-time difference between the network's latest ledger and the tailer's cursor.");
        TailerCursor = factory.CreateGauge("watchtower_tailer_cursor_ledger",
            "Last ledger the tailer has fully processed.");
        TailerLeader = factory.CreateGauge("watchtower_tailer_leader",
            "1 when this replica holds the tailer lease, else 0.");
        LedgersProcessed = factory.CreateCounter("watchtower_ledgers_processed_total",
            "Closed ledgers the tailer has matched against the watched set.");
        Triggers = factory.CreateCounter("watchtower_triggers_total",
            "Channel triggers published, by kind (activity, deadline, follow_up).",
            new CounterConfiguration { LabelNames = ["kind"] });
        Submissions = factory.CreateCounter("watchtower_submissions_total",
            "Transactions the responders submitted, by transaction kind (ratchet, snapshot) and result code.",
            new CounterConfiguration { LabelNames = ["kind", "result"] });
        FeeBumps = factory.CreateCounter("watchtower_fee_bumps_total",
            "Pre-signed transactions wrapped in a fee bump paid by the tower.");
        FeeBumpStroops = factory.CreateCounter("watchtower_fee_bump_stroops_total",
            "Fees offered in fee-bump transactions, in stroops.");
        ReactionLatency = factory.CreateHistogram("watchtower_reaction_latency_seconds",
            "Ledger close of a breach or deadline to the countering submission.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 12) });
        DeadlineMargin = factory.CreateGauge("watchtower_deadline_margin_min_seconds",
            "Smallest remaining time over watched channels between ledger time and the latest ratchet's maxTime.");
        Outcomes = factory.CreateCounter("watchtower_channel_outcomes_total",
            "Channel outcomes, by kind (breach_countered, deadline_force_close, snapshots_submitted, settled, corrupted).",
            new CounterConfiguration { LabelNames = ["outcome"] });
        ResponderFailures = factory.CreateCounter("watchtower_responder_failures_total",
            "Responder attempts that failed and will be retried or alerted, by reason.",
            new CounterConfiguration { LabelNames = ["reason"] });
        QueueDepth = factory.CreateGauge("watchtower_queue_depth_messages",
            "Messages waiting in the tower's queues, by queue.", new GaugeConfiguration { LabelNames = ["queue"] });

        // No silent drops (retries, faults, dead letters, redeliveries, overdue work).
        ResponderRetries = factory.CreateCounter("watchtower_responder_retries_total",
            "Triggers the responders could not complete and re-scheduled (or retried in place while the store is down), by reason.",
            new CounterConfiguration { LabelNames = ["reason"] });
        DeadLetters = factory.CreateCounter("watchtower_dead_letters_total",
            "Messages set aside by a queue, by queue and reason: fault (consumer failed after its retries) and unreadable (body not deserializable), both to <queue>_error; skipped (no consumer for its type), to <queue>_skipped.",
            new CounterConfiguration { LabelNames = ["queue", "reason"] });
        Redeliveries = factory.CreateCounter("watchtower_redeliveries_total",
            "Messages the broker delivered again (an earlier delivery was not acknowledged), by queue.",
            new CounterConfiguration { LabelNames = ["queue"] });
        OverdueWork = factory.CreateGauge("watchtower_overdue_work_items",
            "Scheduled deadlines and follow-ups due longer ago than Tower:Overdue:Bound in ledger time (at most the sample size).");
        OverdueWorkOldest = factory.CreateGauge("watchtower_overdue_work_oldest_seconds",
            "How long ago, in ledger time, the oldest scheduled deadline or follow-up still pending was due (0 when none is overdue).");
        // Store durability (persistence check, replica WAIT, store epoch, tailer cursor restore).
        StoreDurable = factory.CreateGauge("watchtower_store_durable",
            "1 when the store persists every write (Redis AOF on), 0 when it does not, cannot tell, or is in memory.");
        StoreEpochLost = factory.CreateGauge("watchtower_store_epoch_lost",
            "1 while the store recovers from a lost epoch (wiped or replaced store), else 0.");
        StoreEpochChanges = factory.CreateCounter("watchtower_store_epoch_changes_total",
            "Store epoch losses this process detected (epoch key missing or different).");
        StoreReplicationFailures = factory.CreateCounter("watchtower_store_replication_failures_total",
            "Uploads not receipted because fewer replicas than Tower:Store:MinReplicas acknowledged them in time.");
        TailerCursorRestores = factory.CreateCounter("watchtower_tailer_cursor_restores_total",
            "Times the tailer found its cursor missing and wrote back the last ledger it had applied.");
        // Tenant security and fair ingestion (ownership by proof, wallet audits, bounded fault queues).
        ChannelTakeovers = factory.CreateCounter("watchtower_channel_takeovers_total",
            "Channels taken over from another subscription by a valid bundle of a higher round.");
        Audits = factory.CreateCounter("watchtower_audits_total",
            "Wallet audit requests answered with a signed statement, by answer (held, not_held).",
            new CounterConfiguration { LabelNames = ["answer"] });

    }

    public Gauge ChannelsWatched { get; }
    public Counter BundlesAccepted { get; }
    public Counter BundlesRejected { get; }
    public Histogram BundleBytes { get; }
    public Histogram IngestDuration { get; }
    public Gauge LedgerLagLedgers { get; }
    public Gauge LedgerLagSeconds { get; }
    public Gauge TailerCursor { get; }
    public Gauge TailerLeader { get; }
    public Counter LedgersProcessed { get; }
    public Counter Triggers { get; }
    public Counter Submissions { get; }
    public Counter FeeBumps { get; }
    public Counter FeeBumpStroops { get; }
    public Histogram ReactionLatency { get; }
    public Gauge DeadlineMargin { get; }
    public Counter Outcomes { get; }
    public Counter ResponderFailures { get; }
    public Gauge QueueDepth { get; }

    // No silent drops.
    public Counter ResponderRetries { get; }
    public Counter DeadLetters { get; }
    public Counter Redeliveries { get; }
    public Gauge OverdueWork { get; }
    public Gauge OverdueWorkOldest { get; }
    // Store durability.
    public Gauge StoreDurable { get; }
    public Gauge StoreEpochLost { get; }
    public Counter StoreEpochChanges { get; }
    public Counter StoreReplicationFailures { get; }
    public Counter TailerCursorRestores { get; }
    // Tenant security and fair ingestion.
    public Counter ChannelTakeovers { get; }
    public Counter Audits { get; }

}
