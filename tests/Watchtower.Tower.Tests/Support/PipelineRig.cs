using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Watchtower.Contracts;
using Watchtower.TestSupport;
using Watchtower.Ledger;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;
using Watchtower.Tower.Tests.Storage;

namespace Watchtower.Tower.Tests.Support;

/// <summary>
/// Whole tower processes (AddWatchtower: Redis store, RabbitMQ bus, tailer, responders) sharing one
/// Redis key prefix and queue, over a <see cref="SimulatedLedger"/> with one 2-party channel.
/// Hosts can be started and stopped to model restarts, crashes and extra replicas.
/// </summary>
internal sealed class PipelineRig : IAsyncDisposable
{
    public const ulong Round = 3;
    private readonly List<IHost> _hosts = [];
    private readonly KeyPair _receiptKey = KeyPair.Random();
    private readonly byte[] _sealingKey;

    public PipelineRig()
    {
        using var sealing = TowerSealingKey.Generate();
        _sealingKey = sealing.ExportPrivateKey();
        SealingPublicKey = sealing.PublicKey;
        Ledger = new SimulatedLedger(Channel.Network, TestChannel.RoundStart(Round) + 5);
        Ledger.CreateAccount(Channel.Escrow.AccountId, Channel.R0.Value - 2);
        foreach (var v in Channel.VersionKeys)
        {
            Ledger.CreateAccount(v.AccountId, Channel.VersionSequence.Value);
        }
        StartLedger = Ledger.Sequence;
    }

    public TestChannel Channel { get; } = new();
    public SimulatedLedger Ledger { get; }
    public TowerPublicKey SealingPublicKey { get; }
    public string Prefix { get; } = TestServers.UniquePrefix();
    public uint StartLedger { get; }
    public Guid Subscription { get; } = Guid.NewGuid();

    public SequenceNumber R => Channel.RatchetTarget(Round);

    public long EscrowSequence => Ledger.SequenceOf(Channel.Escrow.AccountId) ?? -1;

    /// <summary>TIMEOUT_CLAIM of the uploaded bundle: long enough that the deadline is far from the round start.</summary>
    public const ulong TimeoutClaim = 100_000;

    public ulong RatchetMaxTime => TestChannel.RoundStart(Round) + TimeoutClaim;

    public ulong SnapshotMinTime => RatchetMaxTime + TestChannel.TimeoutClaimDelay;

    /// <summary>maxTime(v_max) − D: where the tower must force close (safety margin 0 in these hosts).</summary>
    public ulong DeadlineTime => RatchetMaxTime - (ulong)Channel.ClaimDelay.TotalSeconds;

    /// <summary>The wallet's round bundle with a TIMEOUT_CLAIM of <see cref="TimeoutClaim"/>.</summary>
    public Bundle LatestBundle()
    {
        var m = TestChannel.RoundStart(Round);
        var bounds = new TimeBounds(m, RatchetMaxTime);
        return Channel.Bundle(Round) with
        {
            Ratchet = Channel.Ratchet(Round, 0, bounds: bounds),
            RatchetTimeBounds = bounds,
            Snapshots = Channel.Snapshots(Round, minTime: SnapshotMinTime),
            SnapshotMinTime = SnapshotMinTime,
        };
    }

    /// <param name="overrides">Settings replacing the rig's (a null value removes one), e.g. Tower:Redis through a <see cref="TcpForwarder"/>.</param>
    public async Task<IHost> StartAsync(WatchtowerRoles roles, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        var settings = new Dictionary<string, string?>
        {
            ["Ledger:Url"] = "http://127.0.0.1:9/",
            ["Ledger:NetworkPassphrase"] = Channel.Network.Passphrase,
            ["Tower:Roles"] = roles.ToString(),
            ["Tower:Redis"] = TestServers.Redis,
            ["Tower:RabbitMq"] = TestServers.RabbitMq.ToString(),
            ["Tower:KeyPrefix"] = Prefix,
            ["Tower:Keys:ReceiptSecret"] = _receiptKey.Seed.ToString(),
            ["Tower:Keys:SealingKey"] = Convert.ToBase64String(_sealingKey),
            ["Tower:Tailer:StartAfterLedger"] = StartLedger.ToString(CultureInfo.InvariantCulture),
            ["Tower:Tailer:LeaseTtl"] = "00:00:02",
            ["Tower:Tailer:StandbyPollInterval"] = "00:00:00.2",
            ["Tower:Tailer:RetriggerInterval"] = "00:00:00",
            ["Tower:Tailer:RetryInitialDelay"] = "00:00:00.05",
            ["Tower:Tailer:RetryMaxDelay"] = "00:00:00.5",
            ["Tower:Deadline:SafetyMargin"] = "00:00:00",
            ["Tower:Responder:RetryInitialDelay"] = "00:00:00.01",
            ["Tower:Responder:RetryMaxDelay"] = "00:00:00.1",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = value;
            }
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<ILedgerClient>(Ledger);
        // Each host its own registry: metrics read by a test are this host's, not a parallel test's.
        builder.Services.AddSingleton(new TowerMetrics(new Prometheus.CollectorRegistry()));
        builder.Services.AddWatchtower(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        _hosts.Add(host);
        return host;
    }

    /// <summary>Stores the wallet's round-<see cref="Round"/> bundle through the host's ingestion path.</summary>
    public async Task UploadAsync(IHost host)
    {
        var store = host.Services.GetRequiredService<IChannelStore>();
        await store.PutSubscriptionAsync(new Subscription(Subscription, Channel.WalletIdentity.AccountId, 10, 1 << 20, DateTimeOffset.MaxValue), default);
        var sealedBundle = Channel.Seal(LatestBundle(), SealingPublicKey);
        var result = await host.Services.GetRequiredService<BundleIngestor>().IngestAsync(Subscription, sealedBundle.ToArray(), default);
        Xunit.Assert.IsType<IngestResult.Accepted>(result);
    }

    public static TailerStatus Status(IHost host) => host.Services.GetRequiredService<TailerStatus>();

    /// <summary>Waits (bounded) for an asynchronous pipeline outcome; the bound only turns a hang into a failure.</summary>
    public static async Task Eventually(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not reached within {seconds}s: {what}");
            }
            await Task.Delay(25);
        }
    }

    public async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
        _hosts.Remove(host);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts.ToList())
        {
            await StopAsync(host);
        }
    }
}
