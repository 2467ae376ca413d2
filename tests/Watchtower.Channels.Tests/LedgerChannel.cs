using Microsoft.Extensions.Time.Testing;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Protocol;
using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>
/// A channel on the embedded standalone network with a fake clock: a funder pays for the setup,
/// every participant's wallet only pays its deposit, so a wallet's final balance is exactly
/// initial − deposit + payout. Participants keep their state in files.
/// </summary>
internal sealed class LedgerChannel : IAsyncDisposable
{
    public static readonly ChannelTimeouts Timeouts = new(
        SynchronyDelay: TimeSpan.FromDays(1),
        TimeoutClaim: TimeSpan.FromDays(3),
        TimeoutClaimDelay: TimeSpan.FromDays(1),
        MaxRoundInterval: TimeSpan.FromDays(2),
        MaxClockSkew: TimeSpan.FromMinutes(1));

    public static readonly Stroops WalletStart = Stroops.FromLumens(1000);

    private readonly string _dir;
    private readonly HttpClient _http;

    private LedgerChannel(StandaloneServer server, ILedgerClient ledger, HttpClient http, string dir, KeyPair[] wallets, long[] deposits, RecordingBundleSink[] sinks)
    {
        Server = server;
        Ledger = ledger;
        _http = http;
        _dir = dir;
        Wallets = wallets;
        Deposits = deposits;
        Sinks = sinks;
    }

    public StandaloneServer Server { get; }

    public ILedgerClient Ledger { get; }

    public KeyPair[] Wallets { get; }

    public long[] Deposits { get; }

    public RecordingBundleSink[] Sinks { get; }

    public LocalChannelGroup Group { get; private set; } = null!;

    /// <summary>Every participant's secrets (the tests play colluders too).</summary>
    public ParticipantKeys[] Keys { get; private set; } = [];

    public ChannelParameters Parameters => Group.Parameters;

    public ParticipantRuntime this[int i] => Group[i] ?? throw new InvalidOperationException($"participant {i} is down");

    /// <summary>Wallets created with <see cref="WalletStart"/>; <paramref name="lumens"/> deposited by each.</summary>
    public static async Task<LedgerChannel> OpenAsync(params long[] lumens)
    {
        var server = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)), CancellationToken.None);
        var http = new HttpClient();
        var ledger = LedgerClientFactory.Create(new LedgerClientOptions { Url = server.HorizonUri, NetworkPassphrase = server.Network.Passphrase }, http, TimeProvider.System);
        var dir = Directory.CreateTempSubdirectory("wt-channel-proof").FullName;
        var wallets = lumens.Select(_ => KeyPair.Random()).ToArray();
        var funder = KeyPair.Random();
        var root = await ledger.LoadAccountAsync(server.Root.AccountId, CancellationToken.None);
        var create = new TransactionBuilder(server.Root.AccountId, root!.Sequence).AddOperation(new CreateAccountOperation(funder.AccountId, Stroops.FromLumens(100)));
        foreach (var w in wallets)
        {
            create = create.AddOperation(new CreateAccountOperation(w.AccountId, WalletStart));
        }

        var created = await ledger.SubmitAsync(create.BuildEnvelope().Sign(server.Network, server.Root), CancellationToken.None);
        Assert.True(created.Success, created.ResultCodesText);

        var sinks = lumens.Select(_ => new RecordingBundleSink()).ToArray();
        var channel = new LedgerChannel(server, ledger, http, dir, wallets, [.. lumens.Select(l => l * Stroops.PerLumen)], sinks);
        var participants = wallets.Select((w, i) => LocalParticipant.Create(w, new Deposit(Asset.Native, Stroops.FromLumens(lumens[i])))).ToList();
        channel.Keys = [.. participants.Select(p => p.Keys)];
        channel.Group = await LocalChannelGroup.OpenAsync(ledger, funder, participants, Timeouts, 100, channel.Store, i => sinks[i], CancellationToken.None);
        return channel;
    }

    public IChannelStore Store(int i) => new FileChannelStore(Path.Combine(_dir, $"participant-{i}.channel"));

    public Task<DateTimeOffset> NowAsync() => Ledger.GetLatestLedgerAsync(CancellationToken.None).ContinueWith(t => t.Result.CloseTime, TaskScheduler.Default);

    public async Task AdvanceAsync(TimeSpan by) => await Server.AdvanceClockAsync(by);

    /// <summary>Close a ledger at <paramref name="time"/> (or now if that has passed).</summary>
    public async Task AdvanceToAsync(DateTimeOffset time)
    {
        // Closes may run ahead of the clock by a second each; advance until a close lands at or after the target.
        for (var now = await NowAsync(); now < time; now = await NowAsync())
        {
            await Server.AdvanceClockAsync(time - now);
        }
    }

    public async Task<long> WalletBalanceAsync(int i) => (await Ledger.LoadAccountAsync(Wallets[i].AccountId, CancellationToken.None))!.Balance.Value;

    /// <summary>What participant i must end with when the channel pays <paramref name="payoutLumens"/> to it.</summary>
    public long Expected(int i, long payoutLumens) => WalletStart.Value - Deposits[i] + (payoutLumens * Stroops.PerLumen);

    public async Task<SequenceNumber?> EscrowSequenceAsync() => (await Ledger.LoadAccountAsync(Parameters.Escrow, CancellationToken.None))?.Sequence;

    /// <summary>
    /// Run participant i's monitor until it stops watching: whenever it must wait, move ledger time
    /// to the moment it names; when idle, a day at a time (so the timeout rule fires eventually).
    /// Returns every case it went through.
    /// </summary>
    public async Task<List<MonitorCase>> MonitorUntilSettledAsync(int i, int maxSteps = 40)
    {
        var cases = new List<MonitorCase>();
        for (var step = 0; step < maxSteps; step++)
        {
            var s = await this[i].CheckLedgerAsync(CancellationToken.None) ?? throw new InvalidOperationException("nothing to monitor");
            cases.Add(s.Decision.Case);
            switch (s.Decision.Action)
            {
                case MonitorAction.StopWatching:
                    return cases;
                case MonitorAction.WaitUntil:
                    await AdvanceToAsync(s.Decision.NotBefore!.Value);
                    break;
                case MonitorAction.None:
                    await AdvanceAsync(TimeSpan.FromHours(12));
                    break;
                case MonitorAction.Alert:
                    return cases;
            }
        }

        throw new InvalidOperationException($"participant {i} did not settle: {string.Join(", ", cases)}");
    }

    /// <summary>The round-j ratchet participant i handed to its bundle sink.</summary>
    public TransactionEnvelope Ratchet(int i, long round) => Sinks[i].Bundles.Last(b => b.Round == round).Ratchet;

    public ChannelBundle Bundle(int i, long round) => Sinks[i].Bundles.Last(b => b.Round == round);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
