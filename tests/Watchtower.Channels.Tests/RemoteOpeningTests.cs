using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Channels.Opening;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Channels.Wire;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>
/// Opening between separate participants, each with only its own secrets and its own TCP
/// listener, on the embedded standalone network: what two or more terminals do.
/// </summary>
public sealed class RemoteOpeningTests
{
    private static readonly JoinPolicy Lenient = new(TimeSpan.FromHours(1), TimeSpan.FromDays(7), 1000, 8);

    [Fact]
    public async Task ThreeSeparateParticipants_OpenFundAndCompleteAPayment()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var net = await Network.StartAsync(3);
        var host = net.HostAsync(cts.Token);
        var bob = net.JoinAsync(1, Lenient, cts.Token);
        var carol = net.JoinAsync(2, Lenient, cts.Token);
        var opened = await Task.WhenAll(host, bob, carol);

        Assert.All(opened, o => Assert.Equal(ChannelPhase.Open, o.Runtime.State.Phase));
        Assert.Equal([0, 1, 2], opened.Select(o => o.Runtime.Me));
        Assert.All(opened, o => Assert.Equal(opened[0].Runtime.State.Parameters.Escrow, o.Runtime.State.Parameters.Escrow));
        Assert.All(opened, o => Assert.Equal(3, o.Peers.Length));
        var escrow = await net.Ledger.LoadAccountAsync(opened[0].Runtime.State.Parameters.Escrow, cts.Token);
        Assert.Equal(3, escrow!.Thresholds.Medium);
        var fundingFee = ChannelTransactions.Funding(opened[0].Runtime.State.Parameters).Fee;
        Assert.Equal((3 * 100 * Stroops.PerLumen) + ChannelOpening.EscrowStartingBalance(3, 0).Value - fundingFee, escrow.Balance.Value);

        // Carol pays Bob 40: every participant signs over its own links.
        var state = opened[2].Runtime.State;
        Assert.Null(await opened[2].Runtime.ProposeAsync(LocalChannelGroup.Payment(state, 2, 1, Stroops.FromLumens(40)), cts.Token));
        await Task.WhenAll(opened.Select(o => ServeUntilRoundAsync(o.Runtime, net, 1, cts.Token)));
        Assert.All(opened, o => Assert.Equal([100 * Stroops.PerLumen, 140 * Stroops.PerLumen, 60 * Stroops.PerLumen], LocalChannelGroup.NativeBalances(o.Runtime.State).ToArray()));
        Assert.All(net.Transports, t => Assert.Equal(0, t.RejectedLinks));
    }

    [Fact]
    public async Task JoinerRefusesTermsOutsideItsPolicy_AndTheInitiatorLearnsWhy()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var net = await Network.StartAsync(2);
        var strict = Lenient with { MinSynchronyDelay = TimeSpan.FromDays(2) };
        var host = net.HostAsync(cts.Token);
        var bob = net.JoinAsync(1, strict, cts.Token);
        var refused = await Assert.ThrowsAsync<OpeningException>(() => bob);
        Assert.Equal(OpeningErrorCode.UnacceptableTerms, refused.Code);
        var hostError = await Assert.ThrowsAsync<OpeningException>(() => host);
        Assert.Equal(OpeningErrorCode.Refused, hostError.Code);
        Assert.Contains("UnacceptableTerms", hostError.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(net.StorePath(1)));
    }

    [Fact]
    public async Task OneOfThreeRefuses_TheReadyJoinerIsToldAndAbandonsWithoutSigningFunding()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var net = await Network.StartAsync(3);
        var host = net.HostAsync(cts.Token);
        var bob = net.JoinAsync(1, Lenient, cts.Token);
        var carol = net.JoinAsync(2, Lenient with { MaxFeePerOperation = 10 }, cts.Token);
        Assert.Equal(OpeningErrorCode.UnacceptableTerms, (await Assert.ThrowsAsync<OpeningException>(() => carol)).Code);
        Assert.Equal(OpeningErrorCode.Refused, (await Assert.ThrowsAsync<OpeningException>(() => host)).Code);
        var bobError = await Assert.ThrowsAsync<OpeningException>(() => bob);
        Assert.Equal(OpeningErrorCode.Refused, bobError.Code);
        Assert.Contains("participant 2", bobError.Message, StringComparison.Ordinal);

        // Bob's state was saved before he said he was ready; it now records the end.
        var (_, state) = StateCodec.Decode((await new FileChannelStore(net.StorePath(1)).LoadAsync(cts.Token))!);
        Assert.Equal(ChannelPhase.Abandoned, state.Phase);
        Assert.Null(state.FundingSignatures[1]);
    }

    [Fact]
    public async Task InitiatorCrashingBeforeSendingTheParameters_ResumesFromItsStoreAndFunds()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var net = await Network.StartAsync(2);
        // The initiator's state is saved after setup; it "crashes" before anyone hears of the parameters.
        var host = net.HostAsync(cts.Token, (_, _) => throw new TimeoutException("simulated crash"));
        var bob = net.JoinAsync(1, Lenient, cts.Token);
        await Assert.ThrowsAsync<TimeoutException>(() => host);
        Assert.False(bob.IsCompleted);

        var restored = await ParticipantRuntime.RestoreAsync(
            new OpeningFilter(net.Transports[0]), net.Ledger, new FileChannelStore(net.StorePath(0)), new RecordingBundleSink(), cts.Token);
        var addresses = net.Transports.Select(t => t.LocalEndpoint.ToString()).ToImmutableArray();
        Assert.True(await RemoteOpening.ResumeInitiatorAsync(restored, net.Transports[0], addresses, cts.Token));
        while (restored.State.Phase == ChannelPhase.Opening)
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            tick.CancelAfter(TimeSpan.FromMilliseconds(50));
            try
            {
                await net.Transports[0].WaitToReceiveAsync(tick.Token);
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
                // poll the ledger
            }

            await restored.DrainInboxAsync((await net.Ledger.GetLatestLedgerAsync(cts.Token)).CloseTime, cts.Token);
            await restored.FundAsync(cts.Token);
        }

        var joined = await bob;
        Assert.Equal(ChannelPhase.Open, joined.Runtime.State.Phase);
        Assert.Equal(restored.State.Parameters.Escrow, joined.Runtime.State.Parameters.Escrow);
        Assert.False(await RemoteOpening.ResumeInitiatorAsync(restored, net.Transports[0], addresses, cts.Token));
        Assert.Empty(restored.Errors);
    }

    [Fact]
    public async Task AWalletTheInitiatorDidNotNameCannotEvenLink()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var net = await Network.StartAsync(2);
        var host = net.HostAsync(cts.Token);
        var mallory = LocalParticipant.Create(KeyPair.Random(), new Deposit(Asset.Native, Stroops.FromLumens(1)));
        await using var malloryNet = TcpPeerTransport.Start(new TcpPeerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), Identity = mallory.Keys.Wallet, Context = net.Context });
        malloryNet.SetPeer(0, new PeerContact(net.Wallets[0].AccountId, net.Transports[0].LocalEndpoint.ToString()));
        var offer = new OpeningOffer(new ParticipantOffer(mallory.Keys.Wallet.AccountId, mallory.Keys.Version.AccountId, mallory.Keys.Ratchet.AccountId, mallory.Deposits), malloryNet.LocalEndpoint.ToString());
        var e = await Assert.ThrowsAsync<IOException>(async () => await malloryNet.SendAsync(0, OpeningMessageCodec.Encode(offer), cts.Token));
        Assert.Contains("refused", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, net.Transports[0].RejectedLinks); // the send redials once before giving up

        // The named joiner still gets in.
        var opened = await Task.WhenAll(host, net.JoinAsync(1, Lenient, cts.Token));
        Assert.All(opened, o => Assert.Equal(ChannelPhase.Open, o.Runtime.State.Phase));
    }

    [Fact]
    public void OpeningCodec_RoundTripsAndRefusesGarbage()
    {
        var h = new ProtocolHarness(2);
        var offer = new OpeningOffer(new ParticipantOffer(h.Keys[1].Wallet.AccountId, h.Keys[1].Version.AccountId, h.Keys[1].Ratchet.AccountId, h.Parameters.Participants[1].Deposits), "bob.example:7100");
        var decoded = Assert.IsType<OpeningOffer>(OpeningMessageCodec.Decode(OpeningMessageCodec.Encode(offer)));
        Assert.Equal(offer.Offer.RatchetKey, decoded.Offer.RatchetKey);
        Assert.True(offer.Offer.Deposits.SequenceEqual(decoded.Offer.Deposits));
        Assert.Equal(offer.Address, decoded.Address);
        var accepted = Assert.IsType<OpeningAccepted>(OpeningMessageCodec.Decode(OpeningMessageCodec.Encode(new OpeningAccepted(h.Parameters, ["a:1", "b:2"]))));
        Assert.Equal(h.Parameters.Escrow, accepted.Parameters.Escrow);
        Assert.Equal(["a:1", "b:2"], accepted.Addresses.ToArray());
        Assert.IsType<OpeningRefused>(OpeningMessageCodec.Decode(OpeningMessageCodec.Encode(new OpeningRefused(OpeningErrorCode.UnacceptableTerms, "no"))));

        var bytes = OpeningMessageCodec.Encode(offer);
        Assert.Throws<WireFormatException>(() => OpeningMessageCodec.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<WireFormatException>(() => OpeningMessageCodec.Decode([.. bytes, 0]));
        Assert.Throws<WireFormatException>(() => OpeningMessageCodec.Decode([OpeningMessageCodec.Marker, 9, 1]));
        Assert.Throws<WireFormatException>(() => OpeningMessageCodec.Decode([OpeningMessageCodec.Marker, OpeningMessageCodec.Version, 77]));
        // A channel runtime's codec refuses an opening frame as malformed (and vice versa).
        Assert.Throws<WireFormatException>(() => PeerMessageCodec.Decode(bytes));
    }

    [Fact]
    public void CheckAccepted_RefusesAChangedEntryAndAWrongInitiator()
    {
        var h = new ProtocolHarness(2);
        var mine = h.Parameters.Participants[1];
        var offer = new ParticipantOffer(mine.Wallet, mine.VersionAccount, mine.RatchetKey, mine.Deposits);
        var host = h.Parameters.Participants[0].Wallet;
        var ok = new OpeningAccepted(h.Parameters, ["a:1", "b:2"]);
        Assert.Equal((1, null), RemoteOpening.CheckAccepted(ok, host, offer, Lenient));

        var lowered = h.Parameters with { Participants = h.Parameters.Participants.SetItem(1, mine with { Deposits = [new Deposit(Asset.Native, Stroops.FromLumens(1))] }) };
        Assert.Equal(OpeningErrorCode.ParametersMismatch, RemoteOpening.CheckAccepted(ok with { Parameters = lowered }, host, offer, Lenient).Problem!.Code);
        Assert.Equal(OpeningErrorCode.ParametersMismatch, RemoteOpening.CheckAccepted(ok, KeyPair.Random().AccountId, offer, Lenient).Problem!.Code);
        Assert.Equal(OpeningErrorCode.UnacceptableTerms, RemoteOpening.CheckAccepted(ok, host, offer, Lenient with { MaxFeePerOperation = 10 }).Problem!.Code);
        Assert.Equal(OpeningErrorCode.MalformedMessage, RemoteOpening.CheckAccepted(ok with { Addresses = ["a:1"] }, host, offer, Lenient).Problem!.Code);
    }

    private static async Task ServeUntilRoundAsync(ParticipantRuntime runtime, Network net, long round, CancellationToken ct)
    {
        var transport = net.Transports[runtime.Me];
        while (runtime.State.Latest!.Round < round)
        {
            await transport.WaitToReceiveAsync(ct);
            var now = (await net.Ledger.GetLatestLedgerAsync(ct)).CloseTime;
            await runtime.DrainInboxAsync(now, ct);
            Assert.Empty(runtime.Errors);
        }
    }

    /// <summary>A standalone ledger and N participants, each with its own wallet, listener and state file.</summary>
    private sealed class Network : IAsyncDisposable
    {
        private readonly StandaloneServer _server;
        private readonly HttpClient _http;
        private readonly string _dir;

        private Network(StandaloneServer server, HttpClient http, ILedgerClient ledger, KeyPair funder, KeyPair[] wallets, TcpPeerTransport[] transports, ImmutableArray<byte> context, string dir)
        {
            _server = server;
            _http = http;
            Ledger = ledger;
            Funder = funder;
            Wallets = wallets;
            Transports = transports;
            Context = context;
            _dir = dir;
        }

        public ILedgerClient Ledger { get; }

        public KeyPair Funder { get; }

        public KeyPair[] Wallets { get; }

        public TcpPeerTransport[] Transports { get; }

        public ImmutableArray<byte> Context { get; }

        public static async Task<Network> StartAsync(int n)
        {
            var server = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)), CancellationToken.None);
            var http = new HttpClient();
            var ledger = LedgerClientFactory.Create(new LedgerClientOptions { Url = server.HorizonUri, NetworkPassphrase = server.Network.Passphrase }, http, TimeProvider.System);
            var funder = KeyPair.Random();
            var wallets = Enumerable.Range(0, n).Select(_ => KeyPair.Random()).ToArray();
            var root = await ledger.LoadAccountAsync(server.Root.AccountId, CancellationToken.None);
            var create = new TransactionBuilder(server.Root.AccountId, root!.Sequence).AddOperation(new CreateAccountOperation(funder.AccountId, Stroops.FromLumens(100)));
            foreach (var w in wallets)
            {
                create = create.AddOperation(new CreateAccountOperation(w.AccountId, Stroops.FromLumens(1000)));
            }

            Assert.True((await ledger.SubmitAsync(create.BuildEnvelope().Sign(server.Network, server.Root), CancellationToken.None)).Success);
            var context = TcpPeerTransport.NewContext();
            var transports = wallets.Select(w => TcpPeerTransport.Start(new TcpPeerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), Identity = w, Context = context })).ToArray();
            return new Network(server, http, ledger, funder, wallets, transports, context, Directory.CreateTempSubdirectory("wt-remote-opening").FullName);
        }

        public string StorePath(int i) => Path.Combine(_dir, $"p{i}.channel");

        public Task<OpenedChannel> HostAsync(CancellationToken ct, Func<OpenedChannel, CancellationToken, Task>? established = null) => RemoteOpening.HostAsync(
            new HostTerms(
                LocalParticipant.Create(Wallets[0], new Deposit(Asset.Native, Stroops.FromLumens(100))),
                Funder,
                [.. Wallets.Skip(1).Select(w => w.AccountId)],
                Transports[0].LocalEndpoint.ToString(),
                LedgerChannel.Timeouts,
                100),
            Environment(0) with { Established = established },
            ct);

        public Task<OpenedChannel> JoinAsync(int i, JoinPolicy policy, CancellationToken ct) => RemoteOpening.JoinAsync(
            LocalParticipant.Create(Wallets[i], new Deposit(Asset.Native, Stroops.FromLumens(100))),
            Transports[i].LocalEndpoint.ToString(),
            new PeerContact(Wallets[0].AccountId, Transports[0].LocalEndpoint.ToString()),
            policy,
            Environment(i),
            ct);

        private OpeningEnvironment Environment(int i) =>
            new(Transports[i], Ledger, new FileChannelStore(StorePath(i)), new RecordingBundleSink(), TimeProvider.System, TimeSpan.FromMilliseconds(50));

        public async ValueTask DisposeAsync()
        {
            foreach (var t in Transports)
            {
                await t.DisposeAsync();
            }

            await _server.DisposeAsync();
            _http.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
