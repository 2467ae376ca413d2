using System.Collections.Immutable;
using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Watchtower.Channels.Hosting;
using Watchtower.Channels.Opening;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Channels.Wire;
using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Watchtower.TowerClient.Hosting;

namespace Watchtower.Cli.Commands;

/// <summary>
/// <c>watchtower channel host | join | run</c>: one participant per process, holding only its own
/// wallet secret, talking to the others over authenticated TCP links. The initiator hosts
/// (names the joiners' wallets and pays for the accounts), each joiner joins, and both then serve
/// the channel (commands on stdin, events on stdout) until it closes; <c>run</c> resumes after a
/// restart. The state directory holds <c>channel.state</c> (keys and channel state) and
/// <c>session.json</c> (ledger, listen address, peers, tower). With <c>--tower-amqp</c> every
/// completed round's bundle is uploaded to a watchtower, which protects the wallet while it is offline.
/// </summary>
public static class ChannelPeerCommands
{
    private const int ExitUsage = 2;
    private const int ExitFailed = 1;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(15);

    public static IEnumerable<Command> Create() => [CreateHost(), CreateJoin(), CreateRun()];

    private static Option<string> Listen(bool required) => new("--listen")
    {
        Description = "Where to accept peer links, HOST:PORT (port 0 picks a free one)",
        Required = required,
    };

    private static Option<string> Advertise() => new("--advertise")
    {
        Description = "The HOST:PORT peers should dial (default: the bound --listen address)",
    };

    private static Option<string> Horizon(bool required) => new("--horizon")
    {
        Description = "Horizon URL (e.g. http://127.0.0.1:8000/ for `watchtower standalone`)",
        Required = required,
    };

    private static Option<string> State() => new("--state")
    {
        Description = "Directory for this participant's channel state and session",
        Required = true,
    };

    private static Option<string> Wallet() => new("--wallet")
    {
        Description = "Your wallet's secret seed: S…, env:VARIABLE or file:PATH (keeps it out of the process list). It pays your deposit, receives your payout, proves who you are on peer links",
        Required = true,
    };

    private static Option<string> Deposit() => new("--deposit")
    {
        Description = "Lumens you deposit into the channel",
        Required = true,
    };

    private static Option<string> Poll() => new("--poll")
    {
        Description = "Time between ledger checks (monitor, funding)",
        DefaultValueFactory = _ => "5s",
    };

    private static Option<bool> Json() => new("--json")
    {
        Description = "Print one JSON object per line instead of text",
    };

    /// <summary>The tower options shared by host, join and run.</summary>
    private sealed class TowerOptions
    {
        public Option<string> Amqp { get; } = new("--tower-amqp") { Description = "The tower's RabbitMQ broker, amqp://USER:PASSWORD@HOST:PORT/ : every completed round's bundle is sealed and uploaded there, so the tower protects you while you are offline" };

        public Option<string> ReceiptKey { get; } = new("--tower-receipt-key") { Description = "The tower's receipt key (G…, as its operator publishes it): receipts signed by anyone else are refused" };

        public Option<string> SealingKey { get; } = new("--tower-sealing-key") { Description = "The tower's sealing key (base64 X25519 public key, as its operator publishes it): bundles are encrypted to it" };

        public Option<string> Prefix { get; } = new("--tower-prefix") { Description = "The tower's key prefix, which names its queues", DefaultValueFactory = _ => "wt" };

        public Option<string> Subscription { get; } = new("--subscription") { Description = "The subscription the tower's operator issued to your wallet key (GUID); required with --tower-amqp: a wallet cannot open one itself" };

        public Option<string> Timeout { get; } = new("--tower-timeout") { Description = "How long an upload may wait for the tower's answer before it is retried", DefaultValueFactory = _ => "10s" };

        public IEnumerable<Option> All => [Amqp, ReceiptKey, SealingKey, Prefix, Subscription, Timeout];

        public TimeSpan RequestTimeout(ParseResult parse)
        {
            var timeout = ChannelCommands.Duration(parse.GetValue(Timeout)!);
            return timeout > TimeSpan.Zero ? timeout : throw new FormatException($"--tower-timeout must be positive, got {parse.GetValue(Timeout)}");
        }

        /// <summary>The tower settings, null when --tower-amqp is absent.</summary>
        public TowerSettings? Parse(ParseResult parse)
        {
            if (parse.GetValue(Amqp) is not { } amqp)
            {
                return parse.GetResult(ReceiptKey) is null && parse.GetResult(SealingKey) is null && parse.GetResult(Subscription) is null
                    ? null
                    : throw new FormatException("the tower options need --tower-amqp");
            }

            var receipt = parse.GetValue(ReceiptKey) ?? throw new FormatException("--tower-amqp needs --tower-receipt-key (the tower's G… receipt key)");
            var sealing = parse.GetValue(SealingKey) ?? throw new FormatException("--tower-amqp needs --tower-sealing-key (the tower's base64 sealing key)");
            if (!Uri.TryCreate(amqp, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            {
                throw new FormatException($"--tower-amqp must be an amqp:// or amqps:// URI, got {amqp}");
            }

            var subscription = parse.GetValue(Subscription) ?? throw new FormatException("--tower-amqp needs --subscription (the GUID the tower's operator issued to your wallet key)");
            var id = Guid.TryParse(subscription, out var g) ? g : throw new FormatException($"--subscription must be a GUID, got {subscription}");
            return new TowerSettings(uri, AccountId.Parse(receipt), TowerPublicKey.Parse(sealing), parse.GetValue(Prefix)!, id);
        }
    }

    private static Command CreateHost()
    {
        var listen = Listen(true);
        var advertise = Advertise();
        var horizon = Horizon(true);
        var network = CommonOptions.Network();
        var state = State();
        var wallet = Wallet();
        var deposit = Deposit();
        var funder = new Option<string>("--funder") { Description = "Secret seed (S…, env:VARIABLE or file:PATH) of the account paying for the channel's accounts (may be your wallet)", Required = true };
        var peers = new Option<string[]>("--peer") { Description = "A joiner's wallet (G…), once per joiner; their order is their participant index (1, 2, …)", Required = true, Arity = ArgumentArity.OneOrMore };
        var delay = new Option<string>("--delay") { Description = "D, the synchrony bound (e.g. 1d, 6h)", DefaultValueFactory = _ => "1d" };
        var claim = new Option<string>("--timeout-claim") { Description = "TIMEOUT_CLAIM (≥ D + max round interval)", DefaultValueFactory = _ => "3d" };
        var claimDelay = new Option<string>("--timeout-claim-delay") { Description = "TIMEOUT_CLAIM_DELAY (≥ D)", DefaultValueFactory = _ => "1d" };
        var roundInterval = new Option<string>("--max-round-interval") { Description = "Longest expected gap between rounds", DefaultValueFactory = _ => "2d" };
        var fee = new Option<uint>("--fee") { Description = "Fee per operation in stroops", DefaultValueFactory = _ => 100 };
        var poll = Poll();
        var json = Json();
        var towerOptions = new TowerOptions();
        var command = new Command("host", "Open a channel as its initiator: wait for the named joiners, create the accounts, sign round 0, fund, then serve it")
        {
            listen, advertise, horizon, network, state, wallet, deposit, funder, peers, delay, claim, claimDelay, roundInterval, fee, poll, json,
        };
        AddAll(command, towerOptions.All);
        command.SetAction(async (parse, ct) =>
        {
            var output = new EventOutput(parse.InvocationConfiguration.Output, parse.GetValue(json));
            var dir = new DirectoryInfo(parse.GetRequiredValue(state));
            if (await RefuseExistingAsync(dir, parse.InvocationConfiguration.Error).ConfigureAwait(false))
            {
                return ExitUsage;
            }

            KeyPair me;
            KeyPair payer;
            ImmutableArray<AccountId> joiners;
            ChannelTimeouts timeouts;
            Stroops amount;
            TimeSpan interval;
            TowerSettings? tower;
            TimeSpan towerTimeout;
            try
            {
                interval = PollInterval(parse.GetValue(poll)!);
                tower = towerOptions.Parse(parse);
                towerTimeout = towerOptions.RequestTimeout(parse);
                me = Secret(parse.GetRequiredValue(wallet));
                payer = Secret(parse.GetRequiredValue(funder));
                joiners = [.. parse.GetRequiredValue(peers).Select(AccountId.Parse)];
                amount = Stroops.Parse(parse.GetRequiredValue(deposit));
                timeouts = new ChannelTimeouts(
                    ChannelCommands.Duration(parse.GetValue(delay)!), ChannelCommands.Duration(parse.GetValue(claim)!), ChannelCommands.Duration(parse.GetValue(claimDelay)!),
                    ChannelCommands.Duration(parse.GetValue(roundInterval)!), TimeSpan.FromMinutes(1));
            }
            catch (FormatException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
                return ExitUsage;
            }

            var url = parse.GetRequiredValue(horizon);
            using var http = new HttpClient();
            var ledger = ChannelCommands.Ledger(url, parse.GetRequiredValue(network), http);
            var context = TcpPeerTransport.NewContext();
            await using var transport = await StartTransportAsync(parse.GetRequiredValue(listen), me, context, parse.InvocationConfiguration.Error).ConfigureAwait(false);
            if (transport is null)
            {
                return ExitUsage;
            }

            if (await AdvertisedAsync(transport, parse.GetValue(advertise), parse.InvocationConfiguration.Error).ConfigureAwait(false) is not { } address)
            {
                return ExitUsage;
            }

            output.Emit("listening", $"listening on {transport.LocalEndpoint} as {me.AccountId}; joiners run `channel join --connect {address}`", ("listen", transport.LocalEndpoint.ToString()), ("identity", me.AccountId.ToString()));
            var terms = new HostTerms(LocalParticipant.Create(me, new Deposit(Asset.Native, amount)), payer, joiners, address, timeouts, parse.GetValue(fee));
            await using var link = tower is { } t ? TowerLink.Start(t, me, towerTimeout, output, TimeProvider.System) : null;
            var env = Environment(transport, ledger, dir, url, interval, output, tower, link);
            return await OpenAndServeAsync(() => RemoteOpening.HostAsync(terms, env, ct), transport, ledger, output, env.Poll, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateJoin()
    {
        var connect = new Option<string>("--connect") { Description = "The initiator's HOST:PORT", Required = true };
        var hostWallet = new Option<string>("--host-wallet") { Description = "The initiator's wallet (G…); refuse anyone else (default: trust the key it presents)" };
        var listen = Listen(true);
        var advertise = Advertise();
        var horizon = Horizon(true);
        var network = CommonOptions.Network();
        var state = State();
        var wallet = Wallet();
        var deposit = Deposit();
        var minDelay = new Option<string>("--min-delay") { Description = "Refuse a D (synchrony bound) shorter than this: how quickly you can react", DefaultValueFactory = _ => "1h" };
        var maxClaim = new Option<string>("--max-timeout-claim") { Description = "Refuse a TIMEOUT_CLAIM longer than this (funds locked after a force close)", DefaultValueFactory = _ => "7d" };
        var maxFee = new Option<uint>("--max-fee") { Description = "Refuse a fee per operation above this (stroops)", DefaultValueFactory = _ => 10_000 };
        var poll = Poll();
        var json = Json();
        var towerOptions = new TowerOptions();
        var command = new Command("join", "Join a channel an initiator hosts: offer your keys and deposit, check its parameters on the ledger, sign round 0, fund, then serve it")
        {
            connect, hostWallet, listen, advertise, horizon, network, state, wallet, deposit, minDelay, maxClaim, maxFee, poll, json,
        };
        AddAll(command, towerOptions.All);
        command.SetAction(async (parse, ct) =>
        {
            var output = new EventOutput(parse.InvocationConfiguration.Output, parse.GetValue(json));
            var error = parse.InvocationConfiguration.Error;
            var dir = new DirectoryInfo(parse.GetRequiredValue(state));
            if (await RefuseExistingAsync(dir, error).ConfigureAwait(false))
            {
                return ExitUsage;
            }

            KeyPair me;
            Stroops amount;
            JoinPolicy policy;
            AccountId? expected = null;
            TimeSpan interval;
            TowerSettings? tower;
            TimeSpan towerTimeout;
            try
            {
                interval = PollInterval(parse.GetValue(poll)!);
                tower = towerOptions.Parse(parse);
                towerTimeout = towerOptions.RequestTimeout(parse);
                me = Secret(parse.GetRequiredValue(wallet));
                amount = Stroops.Parse(parse.GetRequiredValue(deposit));
                policy = new JoinPolicy(ChannelCommands.Duration(parse.GetValue(minDelay)!), ChannelCommands.Duration(parse.GetValue(maxClaim)!), parse.GetValue(maxFee), PeerMessageCodec.MaxParticipants);
                if (parse.GetValue(hostWallet) is { } pinned)
                {
                    expected = AccountId.Parse(pinned);
                }
            }
            catch (FormatException e)
            {
                await error.WriteLineAsync(e.Message).ConfigureAwait(false);
                return ExitUsage;
            }

            var hostAddress = parse.GetRequiredValue(connect);
            AccountId hostIdentity;
            ImmutableArray<byte> context;
            try
            {
                using var limit = new CancellationTokenSource(ProbeTimeout, TimeProvider.System);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
                (hostIdentity, context) = await TcpPeerTransport.ProbeAsync(hostAddress, linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or FormatException || e is OperationCanceledException && !ct.IsCancellationRequested)
            {
                await error.WriteLineAsync($"cannot reach the initiator at {hostAddress}: {(e is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds} s" : e.Message)}").ConfigureAwait(false);
                return ExitFailed;
            }

            if (expected is { } pin && pin != hostIdentity)
            {
                await error.WriteLineAsync($"{hostAddress} presents {hostIdentity}, not {pin}").ConfigureAwait(false);
                return ExitFailed;
            }

            var url = parse.GetRequiredValue(horizon);
            using var http = new HttpClient();
            var ledger = ChannelCommands.Ledger(url, parse.GetRequiredValue(network), http);
            await using var transport = await StartTransportAsync(parse.GetRequiredValue(listen), me, context, error).ConfigureAwait(false);
            if (transport is null)
            {
                return ExitUsage;
            }

            if (await AdvertisedAsync(transport, parse.GetValue(advertise), error).ConfigureAwait(false) is not { } address)
            {
                return ExitUsage;
            }

            output.Emit("listening", $"listening on {transport.LocalEndpoint} as {me.AccountId}; joining {hostIdentity} at {hostAddress}", ("listen", transport.LocalEndpoint.ToString()), ("identity", me.AccountId.ToString()), ("host", hostIdentity.ToString()));
            await using var link = tower is { } t ? TowerLink.Start(t, me, towerTimeout, output, TimeProvider.System) : null;
            var env = Environment(transport, ledger, dir, url, interval, output, tower, link);
            var participant = LocalParticipant.Create(me, new Deposit(Asset.Native, amount));
            return await OpenAndServeAsync(
                () => RemoteOpening.JoinAsync(participant, address, new PeerContact(hostIdentity, hostAddress), policy, env, ct),
                transport, ledger, output, env.Poll, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateRun()
    {
        var state = State();
        var horizon = Horizon(false);
        horizon.Description = "Horizon URL (default: the one the channel was opened with)";
        var listen = Listen(false);
        listen.Description = "Where to accept peer links (default: where this participant listened before; peers dial that address)";
        var poll = Poll();
        var json = Json();
        var towerOptions = new TowerOptions();
        towerOptions.Amqp.Description += " (default: the tower the channel was opened with; giving it replaces the stored tower)";
        var command = new Command("run", "Resume serving a two-terminal channel after a restart: ask peers for what was lost, monitor, take commands")
        {
            state, horizon, listen, poll, json,
        };
        AddAll(command, towerOptions.All);
        command.SetAction(async (parse, ct) =>
        {
            var output = new EventOutput(parse.InvocationConfiguration.Output, parse.GetValue(json));
            var error = parse.InvocationConfiguration.Error;
            var dir = new DirectoryInfo(parse.GetRequiredValue(state));
            PeerSession session;
            byte[] stored;
            TimeSpan interval;
            TowerSettings? tower;
            TimeSpan towerTimeout;
            try
            {
                interval = PollInterval(parse.GetValue(poll)!);
                tower = towerOptions.Parse(parse);
                towerTimeout = towerOptions.RequestTimeout(parse);
                session = await PeerSession.LoadAsync(dir, ct).ConfigureAwait(false);
                if (tower is { } given)
                {
                    session = session with { Tower = given };
                    await session.SaveAsync(dir, ct).ConfigureAwait(false);
                }
                stored = await new FileChannelStore(PeerSession.StatePathIn(dir)).LoadAsync(ct).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"{PeerSession.StatePathIn(dir)} does not exist");
            }
            catch (Exception e) when (e is InvalidDataException or FormatException)
            {
                await error.WriteLineAsync(e.Message).ConfigureAwait(false);
                return ExitUsage;
            }

            var (keys, channel) = StateCodec.Decode(stored);
            var url = parse.GetValue(horizon) ?? session.Horizon;
            using var http = new HttpClient();
            var ledger = LedgerClientFactory.Create(
                new LedgerClientOptions { Url = new Uri(url, UriKind.Absolute), NetworkPassphrase = channel.Parameters.Network.Passphrase }, http, TimeProvider.System);
            await using var transport = await StartTransportAsync(parse.GetValue(listen) ?? session.Listen, keys.Wallet, session.Context, error).ConfigureAwait(false);
            if (transport is null)
            {
                return ExitUsage;
            }

            for (var i = 0; i < session.Peers.Length; i++)
            {
                transport.SetPeer(i, session.Peers[i]);
            }

            // Opening frames a peer may still send (readiness, parameters again) are set aside, not refused as malformed.
            await using var link = session.Tower is { } settings ? TowerLink.Start(settings, keys.Wallet, towerTimeout, output, TimeProvider.System) : null;
            var runtime = await ParticipantRuntime.RestoreAsync(
                new OpeningFilter(transport), ledger, new FileChannelStore(PeerSession.StatePathIn(dir)), link?.Sink ?? new RecordingBundleSink(), ct).ConfigureAwait(false);
            if (link is not null)
            {
                await link.ResendLatestAsync(runtime.State, ct).ConfigureAwait(false);
            }

            await runtime.ResyncAsync(ct).ConfigureAwait(false);
            if (await RemoteOpening.ResumeInitiatorAsync(runtime, transport, [.. session.Peers.Select(p => p.Address ?? "")], ct).ConfigureAwait(false))
            {
                output.Emit("opening", "resumed the opening: parameters sent again, round 0 proposed", ("message", "resumed the opening"));
            }

            var server = new ChannelServer(runtime, transport, ledger, output, interval, TimeProvider.System);
            return await server.RunAsync(Console.In, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static OpeningEnvironment Environment(
        TcpPeerTransport transport, ILedgerClient ledger, DirectoryInfo dir, string horizon, TimeSpan poll, EventOutput output, TowerSettings? tower, TowerLink? link) => new(
        transport,
        ledger,
        new FileChannelStore(PeerSession.StatePathIn(dir)),
        link?.Sink ?? new RecordingBundleSink(),
        TimeProvider.System,
        poll,
        new Progress(output),
        (opened, ct) => new PeerSession(horizon, transport.LocalEndpoint.ToString(), transport.Context, opened.Peers, tower).SaveAsync(dir, ct));

    private static void AddAll(Command command, IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Open (host or join), then serve; an opening the other side or the ledger refused exits 1 with the reason.</summary>
    private static async Task<int> OpenAndServeAsync(Func<Task<OpenedChannel>> open, TcpPeerTransport transport, ILedgerClient ledger, EventOutput output, TimeSpan poll, CancellationToken ct)
    {
        OpenedChannel opened;
        try
        {
            opened = await open().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OpeningException or ProtocolException or ArgumentException or LedgerClientException or HttpRequestException or IOException or SocketException)
        {
            output.Emit("failed", $"opening failed: {e.Message}", ("message", e.Message));
            return ExitFailed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            output.Emit("stopped", "stopped during opening; if the accounts were set up, `channel run` resumes");
            return 0;
        }

        var server = new ChannelServer(opened.Runtime, transport, ledger, output, poll, TimeProvider.System);
        return await server.RunAsync(Console.In, ct).ConfigureAwait(false);
    }

    /// <summary>The address peers dial: --advertise, or the bound address unless it is a wildcard nobody can dial.</summary>
    private static async Task<string?> AdvertisedAsync(TcpPeerTransport transport, string? advertise, TextWriter error)
    {
        if (advertise is not null)
        {
            try
            {
                TcpPeerTransport.ParseAddress(advertise);
                return advertise;
            }
            catch (FormatException e)
            {
                await error.WriteLineAsync($"--advertise: {e.Message}").ConfigureAwait(false);
                return null;
            }
        }

        var bound = transport.LocalEndpoint;
        if (bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any))
        {
            await error.WriteLineAsync($"listening on {bound}: give --advertise HOST:PORT, the address your peers dial").ConfigureAwait(false);
            return null;
        }

        return bound.ToString();
    }

    /// <summary>A secret seed given as S…, env:VARIABLE or file:PATH (first line).</summary>
    private static KeyPair Secret(string value)
    {
        string seed;
        if (value.StartsWith("env:", StringComparison.Ordinal))
        {
            seed = System.Environment.GetEnvironmentVariable(value[4..]) ?? throw new FormatException($"environment variable {value[4..]} is not set");
        }
        else if (value.StartsWith("file:", StringComparison.Ordinal))
        {
            try
            {
                seed = File.ReadLines(value[5..]).FirstOrDefault() ?? throw new FormatException($"{value[5..]} is empty");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FormatException($"cannot read {value[5..]}: {e.Message}", e);
            }
        }
        else
        {
            seed = value;
        }

        return KeyPair.FromSecret(seed.Trim());
    }

    private static TimeSpan PollInterval(string text)
    {
        var interval = ChannelCommands.Duration(text);
        return interval > TimeSpan.Zero ? interval : throw new FormatException($"--poll must be positive, got {text}");
    }

    /// <summary>Refuse a directory that already holds a channel; otherwise create it readable by us only (the state file holds our keys).</summary>
    private static async Task<bool> RefuseExistingAsync(DirectoryInfo dir, TextWriter error)
    {
        if (File.Exists(PeerSession.StatePathIn(dir)))
        {
            await error.WriteLineAsync($"{dir.FullName} already holds a channel; resume it with `channel run --state {dir.FullName}`").ConfigureAwait(false);
            return true;
        }

        if (OperatingSystem.IsWindows())
        {
            dir.Create();
        }
        else
        {
            Directory.CreateDirectory(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return false;
    }

    private static async Task<TcpPeerTransport?> StartTransportAsync(string listen, KeyPair identity, ImmutableArray<byte> context, TextWriter error)
    {
        try
        {
            var (host, port) = TcpPeerTransport.ParseAddress(listen);
            var address = IPAddress.TryParse(host, out var ip) ? ip : (await Dns.GetHostAddressesAsync(host).ConfigureAwait(false))[0];
            return TcpPeerTransport.Start(new TcpPeerOptions { Listen = new IPEndPoint(address, port), Identity = identity, Context = context });
        }
        catch (Exception e) when (e is FormatException or SocketException or IndexOutOfRangeException)
        {
            await error.WriteLineAsync($"cannot listen on {listen}: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    private sealed class Progress(EventOutput output) : IProgress<string>
    {
        public void Report(string value) => output.Emit("opening", value, ("message", value));
    }
}
