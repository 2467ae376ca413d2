using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Watchtower.Ledger;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Xunit;
using Xunit.Abstractions;

namespace Watchtower.Cli.Tests;

/// <summary>
/// Two people, two processes: Alice hosts, Bob joins, each with only its own wallet secret, over
/// authenticated TCP links, against a standalone network hosted here. The built CLI is spawned
/// with --json and driven through stdin; every wait has a deadline so a hang fails the test.
/// </summary>
public sealed partial class TwoTerminalChannelTests(ITestOutputHelper log) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly Stroops WalletStart = Stroops.FromLumens(1000);

    private readonly List<CliProcess> _processes = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("wt-two-terminal").FullName;
    private TestNetwork _network = null!;
    private StandaloneServer _server = null!;
    private ILedgerClient _ledger = null!;
    private KeyPair _funder = null!;
    private KeyPair _alice = null!;
    private KeyPair _bob = null!;
    private KeyPair _mallory = null!;
    private KeyPair _carol = null!;

    public async Task InitializeAsync()
    {
        _network = await TestNetwork.StartAsync();
        (_server, _ledger) = (_network.Server, _network.Ledger);
        (_funder, _alice, _bob, _mallory, _carol) = (KeyPair.Random(), KeyPair.Random(), KeyPair.Random(), KeyPair.Random(), KeyPair.Random());
        await _network.FundAsync(
            [(_funder.AccountId, Stroops.FromLumens(100)), .. new[] { _alice, _bob, _mallory, _carol }.Select(k => (k.AccountId, WalletStart))],
            CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _processes)
        {
            p.Dispose();
        }

        await _network.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AliceHostsBobJoins_PayBothWays_CloseCooperatively_WalletsEndExact()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (alice, bob) = await OpenAsync(cts.Token);

        // A third party that was never named cannot link to Alice, and Alice carries on.
        var mallory = Start(
            "channel", "join", "--connect", alice.Listen!, "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone",
            "--wallet", _mallory.Seed.ToString(), "--deposit", "10", "--state", State("mallory"), "--poll", "200ms", "--json");
        var failed = await mallory.ExpectAsync("failed", cts.Token);
        Assert.Contains("refused our link", (string)failed["message"]!, StringComparison.Ordinal);
        Assert.Equal(1, await mallory.ExitAsync(cts.Token));

        await alice.SendAsync("pay 120", cts.Token);
        await ExpectRoundAsync(1, [380, 420], cts.Token, alice, bob);
        await bob.SendAsync("pay 20.5", cts.Token);
        await ExpectRoundAsync(2, [400.5m, 399.5m], cts.Token, alice, bob);
        await bob.SendAsync("pay 5000", cts.Token);
        Assert.Contains("399.5", (string)(await bob.ExpectAsync("error", cts.Token))["message"]!, StringComparison.Ordinal);

        await alice.SendAsync("close", cts.Token);
        await ExpectRoundAsync(3, [400.5m, 399.5m], cts.Token, alice, bob);
        await alice.ExpectAsync("closed", cts.Token);
        await bob.ExpectAsync("closed", cts.Token);
        Assert.Equal(0, await alice.ExitAsync(cts.Token));
        Assert.Equal(0, await bob.ExitAsync(cts.Token));

        // Setup, funding, snapshots and ratchets are paid by the funder, R and the version accounts: the wallets move by deposit and payout only.
        Assert.Equal(WalletStart.Value - Stroops.FromLumens(500).Value + Stroops.FromLumens(400.5m).Value, await BalanceAsync(_alice, cts.Token));
        Assert.Equal(WalletStart.Value - Stroops.FromLumens(300).Value + Stroops.FromLumens(399.5m).Value, await BalanceAsync(_bob, cts.Token));
        Assert.Equal(WalletStart.Value, await BalanceAsync(_mallory, cts.Token));
    }

    [Fact]
    public async Task TwoPaymentsInARow_TheSecondWaitsForTheFirst_AndTheChannelGoesOn()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (alice, bob) = await OpenAsync(cts.Token);

        // Both lines are read before Bob answers round 1. Bob signs its ratchets as soon as he has
        // Alice's snapshot signatures, so a round 2 replacing round 1 would leave him refusing it.
        await alice.SendAsync("pay 10", cts.Token);
        await alice.SendAsync("pay 20", cts.Token);
        Assert.Equal(1L, (long)(await alice.ExpectAsync("proposed", cts.Token))["round"]!);
        var second = await alice.ExpectAsync(["proposed", "refused"], cts.Token);
        await ExpectRoundAsync(1, [490, 310], cts.Token, alice, bob);
        if ((string)second["event"]! == "refused")
        {
            Assert.Equal("RoundInProgress", (string)second["code"]!);
            await alice.SendAsync("pay 20", cts.Token);
        }

        await ExpectRoundAsync(2, [470, 330], cts.Token, alice, bob);
        await bob.SendAsync("pay 5", cts.Token);
        await ExpectRoundAsync(3, [475, 325], cts.Token, alice, bob);
    }

    [Fact]
    public async Task BobKilledMidChannel_RestartsWithRun_AndCompletesPaymentsBothWays()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (alice, bob) = await OpenAsync(cts.Token);
        await alice.SendAsync("pay 100", cts.Token);
        await ExpectRoundAsync(1, [400, 400], cts.Token, alice, bob);

        // Bob dies; Alice's next payment cannot reach him and waits.
        bob.Kill();
        await alice.SendAsync("pay 50", cts.Token);
        await alice.ExpectAsync("proposed", cts.Token);
        await alice.ExpectAsync("unreachable", cts.Token);

        // Back with `run`: Bob asks for what he missed and the payment completes.
        var resumed = Start("channel", "run", "--state", State("bob"), "--poll", "200ms", "--json");
        var ready = await resumed.ExpectAsync("ready", cts.Token);
        Assert.Equal(1L, (long)ready["round"]!);
        Assert.Equal("Open", (string)ready["phase"]!);
        await ExpectRoundAsync(2, [350, 450], cts.Token, alice, resumed);
        await resumed.SendAsync("pay 10", cts.Token);
        await ExpectRoundAsync(3, [360, 440], cts.Token, alice, resumed);

        await resumed.SendAsync("status", cts.Token);
        var status = await resumed.ExpectAsync("status", cts.Token);
        Assert.Null(status["pending"]);
        await resumed.SendAsync("quit", cts.Token);
        Assert.Equal(0, await resumed.ExitAsync(cts.Token));

        // A service manager stops Alice with SIGTERM: a clean exit, state kept.
        alice.Terminate();
        await alice.ExpectAsync("stopped", cts.Token);
        Assert.Equal(0, await alice.ExitAsync(cts.Token));
        Assert.True(File.Exists(Path.Combine(State("alice"), "channel.state")));
        if (!OperatingSystem.IsWindows())
        {
            // The state file holds Alice's keys: her directory is hers alone.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(State("alice")));
        }
    }

    [Fact]
    public async Task ThreeTerminals_CarolPaysBob_AliceCloses_WalletsEndExact()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var alice = Start(
            "channel", "host", "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone",
            "--wallet", _alice.Seed.ToString(), "--deposit", "100", "--funder", _funder.Seed.ToString(),
            "--peer", _bob.AccountId.ToString(), "--peer", _carol.AccountId.ToString(), "--state", State("alice"), "--poll", "200ms", "--json");
        alice.Listen = (string)(await alice.ExpectAsync("listening", cts.Token))["listen"]!;
        CliProcess Join(KeyPair wallet, string name) => Start(
            "channel", "join", "--connect", alice.Listen, "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone",
            "--wallet", wallet.Seed.ToString(), "--deposit", "100", "--state", State(name), "--poll", "200ms", "--json");
        var carol = Join(_carol, "carol");
        var bob = Join(_bob, "bob");
        foreach (var (p, index) in new[] { (alice, 0L), (bob, 1L), (carol, 2L) })
        {
            Assert.Equal(index, (long)(await p.ExpectAsync("ready", cts.Token))["me"]!);
        }

        await carol.SendAsync("pay 40", cts.Token);
        Assert.Contains("INDEX", (string)(await carol.ExpectAsync("error", cts.Token))["message"]!, StringComparison.Ordinal);
        await carol.SendAsync("pay 40 1", cts.Token);
        await ExpectRoundAsync(1, [100, 140, 60], cts.Token, alice, bob, carol);
        await alice.SendAsync("close", cts.Token);
        foreach (var p in new[] { alice, bob, carol })
        {
            await p.ExpectAsync("closed", cts.Token);
            Assert.Equal(0, await p.ExitAsync(cts.Token));
        }

        Assert.Equal(WalletStart.Value, await BalanceAsync(_alice, cts.Token));
        Assert.Equal(WalletStart.Value + Stroops.FromLumens(40).Value, await BalanceAsync(_bob, cts.Token));
        Assert.Equal(WalletStart.Value - Stroops.FromLumens(40).Value, await BalanceAsync(_carol, cts.Token));
    }

    [Fact]
    public async Task AliceForceCloses_BothMonitorsSettleOnceLedgerTimePassesTheSnapshotsMinTime()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (alice, bob) = await OpenAsync(cts.Token);
        await bob.SendAsync("pay 75", cts.Token);
        await ExpectRoundAsync(1, [575, 225], cts.Token, alice, bob);

        await alice.SendAsync("force-close", cts.Token);
        Assert.True((bool)(await alice.ExpectAsync("force-close", cts.Token))["success"]!);
        var waiting = await bob.ExpectAsync("monitor", cts.Token, e => (string?)e["case"] == "LatestRatchet");
        Assert.Equal("WaitUntil", (string)waiting["action"]!);

        // The snapshots wait for minTime = M_1 + TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY (3d + 1d), in ledger time.
        await _server.AdvanceClockAsync(TimeSpan.FromDays(4) + TimeSpan.FromMinutes(1));
        await alice.ExpectAsync("closed", cts.Token);
        await bob.ExpectAsync("closed", cts.Token);
        Assert.Equal(0, await alice.ExitAsync(cts.Token));
        Assert.Equal(0, await bob.ExitAsync(cts.Token));
        Assert.Equal(WalletStart.Value - Stroops.FromLumens(500).Value + Stroops.FromLumens(575).Value, await BalanceAsync(_alice, cts.Token));
        Assert.Equal(WalletStart.Value - Stroops.FromLumens(300).Value + Stroops.FromLumens(225).Value, await BalanceAsync(_bob, cts.Token));
    }

    [Fact]
    public async Task UsageErrors_ExitTwoWithTheReason()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Directory.CreateDirectory(State("empty"));
        var run = Start("channel", "run", "--state", State("empty"));
        Assert.Equal(2, await run.ExitAsync(cts.Token));
        Assert.Contains("session.json does not exist", run.Transcript(), StringComparison.Ordinal);

        var wildcard = Start(
            "channel", "host", "--listen", "0.0.0.0:0", "--horizon", Horizon, "-n", "standalone",
            "--wallet", "env:WT_TEST_UNSET_SECRET", "--deposit", "1", "--funder", _funder.Seed.ToString(), "--peer", _bob.AccountId.ToString(), "--state", State("w"));
        Assert.Equal(2, await wildcard.ExitAsync(cts.Token));
        Assert.Contains("WT_TEST_UNSET_SECRET is not set", wildcard.Transcript(), StringComparison.Ordinal);

        var advertise = Start(
            "channel", "host", "--listen", "0.0.0.0:0", "--horizon", Horizon, "-n", "standalone",
            "--wallet", _alice.Seed.ToString(), "--deposit", "1", "--funder", _funder.Seed.ToString(), "--peer", _bob.AccountId.ToString(), "--state", State("w"));
        Assert.Equal(2, await advertise.ExitAsync(cts.Token));
        Assert.Contains("give --advertise", advertise.Transcript(), StringComparison.Ordinal);
    }

    private string Horizon => _server.HorizonUri.ToString();

    private string State(string who) => Path.Combine(_dir, who);

    private async Task<(CliProcess Alice, CliProcess Bob)> OpenAsync(CancellationToken ct)
    {
        // Secrets kept off the command line: Alice's from a file, Bob's from the environment.
        var aliceSecret = Path.Combine(_dir, "alice.secret");
        await File.WriteAllTextAsync(aliceSecret, _alice.Seed + "\n", ct);
        var alice = Start(
            "channel", "host", "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone",
            "--wallet", "file:" + aliceSecret, "--deposit", "500", "--funder", _funder.Seed.ToString(),
            "--peer", _bob.AccountId.ToString(), "--state", State("alice"), "--poll", "200ms", "--json");
        alice.Listen = (string)(await alice.ExpectAsync("listening", ct))["listen"]!;
        var bob = StartWith(
            new Dictionary<string, string> { ["WT_TEST_BOB_SECRET"] = _bob.Seed.ToString() },
            "channel", "join", "--connect", alice.Listen, "--host-wallet", _alice.AccountId.ToString(), "--listen", "127.0.0.1:0",
            "--horizon", Horizon, "-n", "standalone", "--wallet", "env:WT_TEST_BOB_SECRET", "--deposit", "300",
            "--state", State("bob"), "--poll", "200ms", "--json");
        await alice.ExpectAsync("ready", ct);
        await bob.ExpectAsync("ready", ct);
        return (alice, bob);
    }

    private static async Task ExpectRoundAsync(long round, decimal[] lumens, CancellationToken ct, params CliProcess[] processes)
    {
        foreach (var p in processes)
        {
            var e = await p.ExpectAsync("round", ct);
            Assert.Equal(round, (long)e["round"]!);
            Assert.Equal(lumens.Select(l => Stroops.FromLumens(l).Value), e["balances"]!.AsArray().Select(b => (long)b!));
        }
    }

    private async Task<long> BalanceAsync(KeyPair wallet, CancellationToken ct) => (await _ledger.LoadAccountAsync(wallet.AccountId, ct))!.Balance.Value;

    private CliProcess Start(params string[] args) => StartWith(new Dictionary<string, string>(), args);

    private CliProcess StartWith(Dictionary<string, string> environment, params string[] args)
    {
        var p = new CliProcess(args, environment, log);
        _processes.Add(p);
        return p;
    }

    /// <summary>The built CLI as a child process: JSON events from stdout, commands to stdin.</summary>
    private sealed class CliProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
        private readonly List<string> _transcript = [];
        private readonly ITestOutputHelper _log;
        private readonly string _name;
        private readonly Task _stdout;
        private readonly Task _stderr;

        public CliProcess(string[] args, Dictionary<string, string> environment, ITestOutputHelper log)
        {
            _log = log;
            _name = $"{args[1]}#{Environment.TickCount64 % 10000}";
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "watchtower.dll"));
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }

            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            _process = Process.Start(start)!;
            _stdout = PumpAsync();
            _stderr = Task.Run(async () =>
            {
                while (await _process.StandardError.ReadLineAsync() is { } line)
                {
                    Note($"stderr: {line}");
                }
            });
        }

        public string? Listen { get; set; }

        public async Task SendAsync(string command, CancellationToken ct)
        {
            Note($"> {command}");
            await _process.StandardInput.WriteLineAsync(command.AsMemory(), ct);
            await _process.StandardInput.FlushAsync(ct);
        }

        /// <summary>The next event of this kind (earlier events of other kinds are skipped); fails on the deadline.</summary>
        public Task<JsonObject> ExpectAsync(string kind, CancellationToken ct, Func<JsonObject, bool>? where = null) => ExpectAsync([kind], ct, where);

        /// <summary>The next event of any of these kinds (earlier events of other kinds are skipped); fails on the deadline.</summary>
        public async Task<JsonObject> ExpectAsync(string[] kinds, CancellationToken ct, Func<JsonObject, bool>? where = null)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(Patience);
            try
            {
                while (true)
                {
                    var e = await _events.Reader.ReadAsync(limit.Token);
                    if (kinds.Contains((string?)e["event"]) && (where is null || where(e)))
                    {
                        return e;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                throw new Xunit.Sdk.XunitException($"{_name}: no '{string.Join("' or '", kinds)}' event ({(e is ChannelClosedException ? "the process ended" : "timed out")}); transcript:\n{Transcript()}");
            }
        }

        /// <summary>The exit code, once stdout and stderr are read to the end (so the transcript is complete).</summary>
        public async Task<int> ExitAsync(CancellationToken ct)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(Patience);
            await _process.WaitForExitAsync(limit.Token);
            await Task.WhenAll(_stdout, _stderr).WaitAsync(limit.Token);
            return _process.ExitCode;
        }

        public void Kill()
        {
            Note("killed");
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Terminate()
        {
            Note("SIGTERM");
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private async Task PumpAsync()
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                Note(line);
                if (line.StartsWith('{'))
                {
                    _events.Writer.TryWrite(JsonNode.Parse(line)!.AsObject());
                }
            }

            _events.Writer.TryComplete();
        }

        private void Note(string line)
        {
            lock (_transcript)
            {
                _transcript.Add(line);
            }

            try
            {
                _log.WriteLine($"{_name}: {line}");
            }
            catch (InvalidOperationException)
            {
                // the test already finished
            }
        }

        public string Transcript()
        {
            lock (_transcript)
            {
                return string.Join('\n', _transcript);
            }
        }
    }
}
