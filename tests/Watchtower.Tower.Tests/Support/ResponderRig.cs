using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.TestSupport;
using Watchtower.Stellar;
using Watchtower.Ledger;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Responding;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;

namespace Watchtower.Tower.Tests.Support;

/// <summary>
/// A responder wired to an in-memory store and a <see cref="SimulatedLedger"/>, with one 2-party
/// channel (participant 0 is the tower's client) whose accounts exist on the ledger.
/// </summary>
internal sealed class ResponderRig : IDisposable
{
    public const ulong Round = 3;

    public ResponderRig(bool withFeeAccount = false, IChannelStore? store = null)
    {
        Time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds((long)TestChannel.RoundStart(Round) + 10));
        Ledger = new SimulatedLedger(Channel.Network, TestChannel.RoundStart(Round) + 5);
        Ledger.CreateAccount(Channel.Escrow.AccountId, Channel.R0.Value - 2);
        foreach (var v in Channel.VersionKeys)
        {
            Ledger.CreateAccount(v.AccountId, Channel.VersionSequence.Value);
        }
        Store = store ?? new InMemoryChannelStore();
        Identity = new TowerIdentity(KeyPair.Random(), TowerSealingKey.Generate(), Channel.Network);
        Metrics = new TowerMetrics(new CollectorRegistry());
        FeePayer = withFeeAccount ? new FeeAccount(KeyPair.Random()) : FeeAccount.None;
        var responderOptions = Options.Create(new ResponderOptions { RetryInitialDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero });
        var submitter = new TransactionSubmitter(Ledger, Options.Create(new FeeOptions()), responderOptions, Metrics, Time,
            NullLogger<TransactionSubmitter>.Instance, FeePayer);
        Clock = new LedgerClock(Time);
        Retries = new RetrySchedule(Time);
        Responder = new ChannelResponder(Store, Ledger, Identity, submitter, Options.Create(new DeadlineOptions { SafetyMargin = TimeSpan.Zero }),
            responderOptions, Retries, Clock, Metrics, Time, NullLogger<ChannelResponder>.Instance);
        Ingestor = new BundleIngestor(Store, Identity, new LedgerWatermark(), Metrics, Time,
            new SubscriptionRateLimiter(Time, 1_000, 1_000), new OperatorAuthority(null));
    }

    public TestChannel Channel { get; } = new();
    public FakeTimeProvider Time { get; }
    public SimulatedLedger Ledger { get; }
    public IChannelStore Store { get; }
    public TowerIdentity Identity { get; }
    public TowerMetrics Metrics { get; }
    public FeeAccount FeePayer { get; }
    public ChannelResponder Responder { get; }
    public RetrySchedule Retries { get; }
    public LedgerClock Clock { get; }
    public BundleIngestor Ingestor { get; }
    public Guid Subscription { get; } = Guid.NewGuid();
    public List<object> Events { get; } = [];

    public ChannelId Id => Channel.ChannelId(0);

    public AccountId Escrow => Channel.Escrow.AccountId;

    public SequenceNumber R => Channel.RatchetTarget(Round);

    public long EscrowSequence => Ledger.SequenceOf(Escrow) ?? -1;

    public ulong SnapshotMinTime => TestChannel.RoundStart(Round) + TestChannel.TimeoutClaim + TestChannel.TimeoutClaimDelay;

    public async Task UploadAsync(ulong round = Round, Bundle? bundle = null)
    {
        await Store.PutSubscriptionAsync(new Subscription(Subscription, Channel.WalletIdentity.AccountId, 10, 1 << 20, DateTimeOffset.MaxValue), default);
        var sealedBundle = Channel.Seal(bundle ?? Channel.Bundle(round), Identity.SealingKey.PublicKey);
        var result = await Ingestor.IngestAsync(Subscription, sealedBundle.ToArray(), default);
        Xunit.Assert.IsType<IngestResult.Accepted>(result);
    }

    /// <summary>TIMEOUT_CLAIM of <see cref="FarDeadlineBundle"/>: its deadline watch stays far off.</summary>
    public const ulong LongTimeoutClaim = 100_000;

    /// <summary>
    /// The round's bundle with a TIMEOUT_CLAIM of <see cref="LongTimeoutClaim"/>: nothing is due until
    /// something happens on the ledger (the default bundle's deadline is due from the start).
    /// </summary>
    public Bundle FarDeadlineBundle()
    {
        var m = TestChannel.RoundStart(Round);
        var bounds = new TimeBounds(m, m + LongTimeoutClaim);
        var snapshotMinTime = m + LongTimeoutClaim + TestChannel.TimeoutClaimDelay;
        return Channel.Bundle(Round) with
        {
            Ratchet = Channel.Ratchet(Round, 0, bounds: bounds),
            RatchetTimeBounds = bounds,
            Snapshots = Channel.Snapshots(Round, minTime: snapshotMinTime),
            SnapshotMinTime = snapshotMinTime,
        };
    }

    /// <summary>Closes a ledger (optionally far later) and lets the responder handle a trigger of that ledger.</summary>
    public async Task TriggerAsync(TriggerKind kind, ulong advanceSeconds = 5)
    {
        var ledger = Ledger.CloseLedger(advanceSeconds);
        Time.SetUtcNow(ledger.Header.CloseTime + TimeSpan.FromSeconds(1));
        await HandleAsync(new TriggerChannel(Id, kind, ledger.Header.Sequence, ledger.Header.CloseTime, null, Time.GetUtcNow()));
    }

    public Task HandleAsync(TriggerChannel trigger) => Responder.HandleAsync(trigger, new Recorder(Events), default);

    public int AppliedFrom(AccountId source) => Ledger.Applied.Count(e => e switch
    {
        TransactionV1Envelope v1 => v1.Transaction.Source.Account == source,
        FeeBumpEnvelope fb => fb.FeeBump.InnerTransaction.Source.Account == source,
        _ => false,
    });

    public void Dispose() => Identity.SealingKey.Dispose();

    private sealed class Recorder(List<object> events) : IChannelEvents
    {
        public Task PublishAsync<T>(T message, CancellationToken ct) where T : class
        {
            lock (events)
            {
                events.Add(message);
            }
            return Task.CompletedTask;
        }
    }
}
