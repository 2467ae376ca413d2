using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using ChannelId = Watchtower.Contracts.ChannelId;
using IChannelStore = Watchtower.Tower.Storage.IChannelStore;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Storage;

namespace Watchtower.Tower.Tests.Support;

/// <summary>
/// End to end: a 2-party channel opened by the channel library's wallets on the embedded standalone
/// network (Horizon API, clock moved by its admin control), and a tower process (AddWatchtower with
/// Redis and RabbitMQ) tailing that network through the Horizon client. Alice (0) is the tower's client.
/// </summary>
internal sealed class StandaloneTower : IAsyncDisposable
{
    public const int Alice = 0;
    public const int Bob = 1;

    public static readonly ChannelTimeouts Timeouts = new(
        SynchronyDelay: TimeSpan.FromDays(1),
        TimeoutClaim: TimeSpan.FromDays(3),
        TimeoutClaimDelay: TimeSpan.FromDays(1),
        MaxRoundInterval: TimeSpan.FromDays(2),
        MaxClockSkew: TimeSpan.FromMinutes(1));

    public static readonly Stroops WalletStart = Stroops.FromLumens(1000);

    private readonly HttpClient _http = new();
    private IHost? _tower;

    private StandaloneTower(StandaloneServer server, ILedgerClient ledger, KeyPair[] wallets, RecordingBundleSink[] sinks)
    {
        Server = server;
        Ledger = ledger;
        Wallets = wallets;
        Sinks = sinks;
    }

    public StandaloneServer Server { get; }
    public ILedgerClient Ledger { get; }
    public KeyPair[] Wallets { get; }
    public RecordingBundleSink[] Sinks { get; }
    public LocalChannelGroup Group { get; private set; } = null!;
    public string Prefix { get; } = TestServers.UniquePrefix();
    public IHost Tower => _tower ?? throw new InvalidOperationException("the tower is not running");

    public static async Task<StandaloneTower> OpenAsync(long aliceLumens, long bobLumens)
    {
        var server = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true },
            new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)), default);
        var ledger = LedgerClientFactory.Create(new LedgerClientOptions
        {
            Url = server.HorizonUri,
            NetworkPassphrase = server.Network.Passphrase,
            PollInterval = TimeSpan.FromMilliseconds(50),
        }, new HttpClient(), TimeProvider.System);
        var funder = KeyPair.Random();
        KeyPair[] wallets = [KeyPair.Random(), KeyPair.Random()];
        var root = (await ledger.LoadAccountAsync(server.Root.AccountId, default))!;
        var create = new TransactionBuilder(server.Root.AccountId, root.Sequence)
            .AddOperation(new CreateAccountOperation(funder.AccountId, Stroops.FromLumens(100)))
            .AddOperation(new CreateAccountOperation(wallets[0].AccountId, WalletStart))
            .AddOperation(new CreateAccountOperation(wallets[1].AccountId, WalletStart));
        var created = await ledger.SubmitAsync(create.BuildEnvelope().Sign(server.Network, server.Root), default);
        Xunit.Assert.True(created.Success, created.ResultCodesText);

        RecordingBundleSink[] sinks = [new(), new()];
        var rig = new StandaloneTower(server, ledger, wallets, sinks);
        var participants = new[] { aliceLumens, bobLumens }
            .Select((l, i) => LocalParticipant.Create(wallets[i], new Deposit(Asset.Native, Stroops.FromLumens(l)))).ToList();
        rig.Group = await LocalChannelGroup.OpenAsync(ledger, funder, participants, Timeouts, 100,
            _ => new Channels.Runtime.InMemoryChannelStore(), i => sinks[i], default);
        return rig;
    }

    public ChannelParameters Parameters => Group.Parameters;

    /// <summary>Starts the tower process (tail + respond) at the network's current ledger, reading it through Horizon or RPC.</summary>
    public async Task StartTowerAsync(KeyPair receiptKey, byte[] sealingKey, LedgerApiKind kind = LedgerApiKind.Horizon)
    {
        var latest = await Ledger.GetLatestLedgerAsync(default);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ledger:Kind"] = kind.ToString(),
            ["Ledger:Url"] = (kind == LedgerApiKind.Horizon ? Server.HorizonUri : Server.RpcUri).ToString(),
            ["Ledger:NetworkPassphrase"] = Server.Network.Passphrase,
            ["Ledger:PollInterval"] = "00:00:00.05",
            // No ingest role: its queues are shared by name across the broker (uploads go through BundleIngestor directly).
            ["Tower:Roles"] = "Tail, Respond",
            ["Tower:Redis"] = TestServers.Redis,
            ["Tower:RabbitMq"] = TestServers.RabbitMq.ToString(),
            ["Tower:KeyPrefix"] = Prefix,
            ["Tower:Keys:ReceiptSecret"] = receiptKey.Seed.ToString(),
            ["Tower:Keys:SealingKey"] = Convert.ToBase64String(sealingKey),
            ["Tower:Tailer:StartAfterLedger"] = latest.Sequence.ToString(CultureInfo.InvariantCulture),
            ["Tower:Tailer:RetriggerInterval"] = "00:00:00",
            ["Tower:Deadline:SafetyMargin"] = "00:00:00",
            ["Tower:Responder:RetryInitialDelay"] = "00:00:00.05",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddWatchtower(builder.Configuration);
        _tower = builder.Build();
        await _tower.StartAsync();
    }

    /// <summary>Stops the tower process (its Redis state and queued messages stay, as after a crash or redeploy).</summary>
    public async Task StopTowerAsync()
    {
        await Tower.StopAsync();
        Tower.Dispose();
        _tower = null;
    }

    /// <summary>Uploads the participant's latest completed round to the tower (sealed, through ingestion).</summary>
    public async Task UploadLatestAsync(int participant, TowerPublicKey towerKey)
    {
        var store = Tower.Services.GetRequiredService<IChannelStore>();
        var subscription = Guid.NewGuid();
        var identity = KeyPair.Random();
        await store.PutSubscriptionAsync(new Subscription(subscription, identity.AccountId, 10, 1 << 20, DateTimeOffset.MaxValue), default);
        var bundle = ToTowerBundle(Sinks[participant].Bundles[^1]);
        var result = await Tower.Services.GetRequiredService<BundleIngestor>()
            .IngestAsync(subscription, BundleSealer.Seal(bundle, towerKey, identity).ToArray(), default);
        Xunit.Assert.IsType<IngestResult.Accepted>(result);
    }

    public ChannelId ChannelIdOf(int participant) =>
        ChannelId.Derive(Server.Network, Parameters.Escrow, Parameters.Participants[participant].VersionAccount);

    public async Task<long> WalletBalanceAsync(int i) => (await Ledger.LoadAccountAsync(Wallets[i].AccountId, default))!.Balance.Value;

    public async Task<long?> EscrowSequenceAsync() => (await Ledger.LoadAccountAsync(Parameters.Escrow, default))?.Sequence.Value;

    /// <summary>Wallet i's balance once the channel paid it <paramref name="payoutLumens"/>, deposit subtracted (the funder paid the fees).</summary>
    public long Expected(int i, long deposit, long payoutLumens) => WalletStart.Value - (deposit * Stroops.PerLumen) + (payoutLumens * Stroops.PerLumen);

    public async Task<DateTimeOffset> NowAsync() => (await Ledger.GetLatestLedgerAsync(default)).CloseTime;

    /// <summary>Closes ledgers until one lands at or after <paramref name="time"/>.</summary>
    public async Task AdvanceToAsync(DateTimeOffset time)
    {
        for (var now = await NowAsync(); now < time; now = await NowAsync())
        {
            await Server.AdvanceClockAsync(time - now);
        }
    }

    /// <summary>Polls the ledger (bounded) until the tower's asynchronous work shows.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not reached within {seconds}s: {what}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>The wallet library's neutral bundle in the tower's wire format (as a wallet's tower client maps it).</summary>
    private static Bundle ToTowerBundle(ChannelBundle bundle)
    {
        var p = bundle.Parameters;
        var me = p.Participants[bundle.Participant];
        var n = (byte)p.Count;
        var signers = new EscrowSigners(new Thresholds(1, n, n, n),
            [.. p.Participants.Skip(1).Select(x => new Signer(new Ed25519SignerKey(x.RatchetKey), 1))]);
        var ratchet = ((TransactionV1Envelope)bundle.Ratchet).Transaction.Preconditions.TimeBounds!.Value;
        var snapshotMin = ((TransactionV1Envelope)bundle.Snapshots[0]).Transaction.Preconditions.TimeBounds!.Value.MinTime;
        return new Bundle(ChannelId.Derive(p.Network, p.Escrow, me.VersionAccount), p.Network, p.Escrow, me.VersionAccount,
            [.. p.Participants.Where((_, i) => i != bundle.Participant).Select(x => x.VersionAccount)],
            checked((ulong)bundle.Round), bundle.RatchetTarget, p.Count, p.Timeouts.SynchronyDelay, signers,
            bundle.Ratchet, bundle.Snapshots, ratchet, snapshotMin);
    }

    public async ValueTask DisposeAsync()
    {
        if (_tower is not null)
        {
            await _tower.StopAsync();
            _tower.Dispose();
        }
        await Server.DisposeAsync();
        _http.Dispose();
    }
}
