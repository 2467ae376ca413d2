using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Channels.Wire;
using Watchtower.Protocol;
using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>The process of a participant died in the middle of a step.</summary>
internal sealed class ParticipantCrashedException() : Exception("participant crashed");

/// <summary>
/// A channel opening on the standalone network driven one frame at a time, where a participant
/// can die at an exact point: while sending its k-th frame (its state for that frame is already
/// stored, the frame and everything after it never leave). Each participant has its own file
/// store and its own view of the ledger (so its submissions are counted separately). Wallets
/// pay only their deposits, so a wallet ends at exactly start − deposit + payout.
/// </summary>
internal sealed class OpeningRig : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly string _dir;
    private readonly StepLink?[] _links;

    private OpeningRig(StandaloneServer server, ILedgerClient ledger, HttpClient http, string dir, KeyPair[] wallets, long[] deposits, ParticipantKeys[] keys, KeyPair funder)
    {
        Server = server;
        Ledger = ledger;
        _http = http;
        _dir = dir;
        Wallets = wallets;
        Deposits = deposits;
        Keys = keys;
        Funder = funder;
        Network = new InProcessNetwork(wallets.Length);
        Runtimes = new ParticipantRuntime?[wallets.Length];
        _links = new StepLink?[wallets.Length];
        Views = [.. wallets.Select(_ => new CountingLedger(ledger))];
    }

    public StandaloneServer Server { get; }

    public ILedgerClient Ledger { get; }

    public KeyPair[] Wallets { get; }

    public long[] Deposits { get; }

    public ParticipantKeys[] Keys { get; }

    public KeyPair Funder { get; }

    public InProcessNetwork Network { get; }

    public ParticipantRuntime?[] Runtimes { get; }

    /// <summary>Each participant's ledger client, counting what it submitted.</summary>
    public CountingLedger[] Views { get; }

    public ChannelParameters Parameters { get; private set; } = null!;

    public int Count => Wallets.Length;

    public ParticipantRuntime this[int i] => Runtimes[i] ?? throw new InvalidOperationException($"participant {i} is down");

    /// <summary>Accounts created and every participant's initial state stored; nothing signed.</summary>
    public static async Task<OpeningRig> SetUpAsync(params long[] lumens)
    {
        var server = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)), CancellationToken.None);
        var http = new HttpClient();
        var ledger = LedgerClientFactory.Create(new LedgerClientOptions { Url = server.HorizonUri, NetworkPassphrase = server.Network.Passphrase }, http, TimeProvider.System);
        var wallets = lumens.Select(_ => KeyPair.Random()).ToArray();
        var funder = KeyPair.Random();
        var root = await ledger.LoadAccountAsync(server.Root.AccountId, CancellationToken.None);
        var create = new TransactionBuilder(server.Root.AccountId, root!.Sequence).AddOperation(new CreateAccountOperation(funder.AccountId, Stroops.FromLumens(100)));
        foreach (var w in wallets)
        {
            create = create.AddOperation(new CreateAccountOperation(w.AccountId, LedgerChannel.WalletStart));
        }

        Assert.True((await ledger.SubmitAsync(create.BuildEnvelope().Sign(server.Network, server.Root), CancellationToken.None)).Success);
        var keys = wallets.Select(w => new ParticipantKeys(w, KeyPair.Random(), KeyPair.Random())).ToArray();
        var rig = new OpeningRig(server, ledger, http, Directory.CreateTempSubdirectory("wt-opening").FullName, wallets, [.. lumens.Select(l => l * Stroops.PerLumen)], keys, funder);
        var offers = keys.Select((k, i) => new ParticipantOffer(k.Wallet.AccountId, k.Version.AccountId, k.Ratchet.AccountId, [new Deposit(Asset.Native, Stroops.FromLumens(lumens[i]))])).ToList();
        rig.Parameters = await ChannelOpening.SetupAsync(ledger, funder, offers, LedgerChannel.Timeouts, 100, CancellationToken.None);
        for (var i = 0; i < rig.Count; i++)
        {
            rig._links[i] = new StepLink(rig.Network.Connect(i));
            rig.Runtimes[i] = await ParticipantRuntime.CreateAsync(keys[i], ChannelState.Create(rig.Parameters, i), rig._links[i]!, rig.Views[i], rig.Store(i), new RecordingBundleSink(), CancellationToken.None);
        }

        return rig;
    }

    public IChannelStore Store(int i) => new FileChannelStore(Path.Combine(_dir, $"participant-{i}.channel"));

    /// <summary>Participant i dies while sending its frame number <paramref name="sends"/> (0-based) from now on.</summary>
    public void CrashOnSend(int i, int sends) => _links[i]!.CrashAfter = sends;

    /// <summary>Participant i plays dishonest: its funding signatures never leave it.</summary>
    public void WithholdFundingSignatures(int i) => _links[i]!.Withhold = m => m is FundingSignatures;

    public void Crash(int i)
    {
        Network.SetOnline(i, false);
        Runtimes[i] = null;
        _links[i] = null;
    }

    /// <summary>Back from its file, online, asking its peers to repeat what it may have lost.</summary>
    public async Task RestartAsync(int i)
    {
        _links[i] = new StepLink(Network.Connect(i));
        Runtimes[i] = await ParticipantRuntime.RestoreAsync(_links[i]!, Views[i], Store(i), new RecordingBundleSink(), CancellationToken.None);
        Network.SetOnline(i, true);
        await GuardAsync(i, r => r.ResyncAsync(CancellationToken.None));
    }

    /// <summary>Run a step of participant i; if it dies in it, it is crashed. False if it died.</summary>
    public async Task<bool> GuardAsync(int i, Func<ParticipantRuntime, Task> step)
    {
        if (Runtimes[i] is not { } runtime)
        {
            return false;
        }

        try
        {
            await step(runtime);
            return true;
        }
        catch (ParticipantCrashedException)
        {
            Crash(i);
            return false;
        }
    }

    /// <summary>Participant 0 proposes round 0 unless it already signed one (as on a resumed opening).</summary>
    public async Task ProposeRound0Async()
    {
        if (Runtimes[0] is { State: { LastSignedRound: < 0, Latest: null } })
        {
            await GuardAsync(0, async r => Assert.Null(await r.ProposeAsync(RoundOutcome.Refunds(Parameters), CancellationToken.None)));
        }
    }

    /// <summary>Deliver frames one at a time, round robin over running participants, until none is waiting.</summary>
    public async Task PumpAsync()
    {
        var now = await NowAsync();
        bool any;
        do
        {
            any = false;
            for (var i = 0; i < Count; i++)
            {
                if (_links[i] is { } link)
                {
                    link.Budget = 1;
                    var handled = 0;
                    await GuardAsync(i, async r => handled = await r.DrainInboxAsync(now, CancellationToken.None));
                    any |= handled > 0;
                }
            }
        }
        while (any);
    }

    /// <summary>Every running participant tries to fund; their statuses (down ones: null).</summary>
    public async Task<FundingStatus?[]> FundAllAsync()
    {
        var statuses = new FundingStatus?[Count];
        for (var i = 0; i < Count; i++)
        {
            await GuardAsync(i, async r => statuses[i] = await r.FundAsync(CancellationToken.None));
        }

        return statuses;
    }

    /// <summary>How many times any participant submitted the funding transaction.</summary>
    public int FundingSubmissions => Views.Sum(v => v.Submitted.Count(e => e.Hash(Parameters.Network) == FundingHash));

    public TransactionHash FundingHash => ChannelTransactions.Funding(Parameters).Hash(Parameters.Network);

    public async Task<DateTimeOffset> NowAsync() => (await Ledger.GetLatestLedgerAsync(CancellationToken.None)).CloseTime;

    /// <summary>Close ledgers until one closes at or after <paramref name="time"/> (closes may run ahead of the clock).</summary>
    public async Task AdvanceToAsync(DateTimeOffset time)
    {
        for (var now = await NowAsync(); now < time; now = await NowAsync())
        {
            await Server.AdvanceClockAsync(time - now);
        }
    }

    public async Task<long> WalletBalanceAsync(int i) => (await Ledger.LoadAccountAsync(Wallets[i].AccountId, CancellationToken.None))!.Balance.Value;

    public long Expected(int i, long payoutLumens) => LedgerChannel.WalletStart.Value - Deposits[i] + (payoutLumens * Stroops.PerLumen);

    /// <summary>
    /// Use the funded channel: participant 0 pays participant 1, everyone closes cooperatively and
    /// participant 0's monitor settles it on the ledger.
    /// </summary>
    public async Task PayAndCloseAsync(long lumens)
    {
        Assert.Null(await this[0].ProposeAsync(LocalChannelGroup.Payment(this[0].State, 0, 1, Stroops.FromLumens(lumens)), CancellationToken.None));
        await PumpAsync();
        Assert.All(Runtimes, r => Assert.Equal(1, r!.State.Latest!.Round));
        Assert.Null(await this[0].ProposeCloseAsync(CancellationToken.None));
        await PumpAsync();
        for (var step = 0; step < 20; step++)
        {
            var s = await this[0].CheckLedgerAsync(CancellationToken.None);
            switch (s!.Decision.Action)
            {
                case MonitorAction.StopWatching:
                    return;
                case MonitorAction.WaitUntil:
                    await AdvanceToAsync(s.Decision.NotBefore!.Value);
                    break;
                case MonitorAction.None:
                    await Server.AdvanceClockAsync(TimeSpan.FromHours(12));
                    break;
            }
        }

        throw new InvalidOperationException("the channel did not settle");
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A link that hands the runtime at most <see cref="Budget"/> frames per drain and can die mid-send.</summary>
    private sealed class StepLink(IPeerTransport inner) : IPeerTransport
    {
        private int _sent;

        public int Budget { get; set; }

        public int? CrashAfter { get; set; }

        public Func<PeerMessage, bool>? Withhold { get; set; }

        public int Self => inner.Self;

        public ValueTask SendAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken ct)
        {
            if (_sent++ == CrashAfter)
            {
                throw new ParticipantCrashedException();
            }

            return Withhold?.Invoke(PeerMessageCodec.Decode(payload.Span)) == true ? ValueTask.CompletedTask : inner.SendAsync(to, payload, ct);
        }

        public ValueTask<InboundFrame> ReceiveAsync(CancellationToken ct) => inner.ReceiveAsync(ct);

        public bool TryReceive(out InboundFrame? frame)
        {
            frame = null;
            if (Budget <= 0 || !inner.TryReceive(out frame))
            {
                return false;
            }

            Budget--;
            return true;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>A participant's ledger client that remembers what it submitted.</summary>
internal sealed class CountingLedger(ILedgerClient inner) : ILedgerClient
{
    private readonly ConcurrentQueue<TransactionEnvelope> _submitted = new();

    public IReadOnlyCollection<TransactionEnvelope> Submitted => _submitted;

    public Task<Network> GetNetworkAsync(CancellationToken ct) => inner.GetNetworkAsync(ct);

    public Task<AccountSnapshot?> LoadAccountAsync(AccountId id, CancellationToken ct) => inner.LoadAccountAsync(id, ct);

    public Task<SubmitOutcome> SubmitAsync(TransactionEnvelope envelope, CancellationToken ct)
    {
        _submitted.Enqueue(envelope);
        return inner.SubmitAsync(envelope, ct);
    }

    public Task<LedgerHeaderInfo> GetLatestLedgerAsync(CancellationToken ct) => inner.GetLatestLedgerAsync(ct);

    public Task<FeeStatsInfo> GetFeeStatsAsync(CancellationToken ct) => inner.GetFeeStatsAsync(ct);

    public IAsyncEnumerable<ClosedLedger> StreamLedgersAsync(uint afterLedger, CancellationToken ct) => inner.StreamLedgersAsync(afterLedger, ct);
}
