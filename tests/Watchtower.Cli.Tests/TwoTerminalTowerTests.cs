using Watchtower.Channels.Wire;
using Watchtower.Demo;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;
using Xunit;
using ChannelId = Watchtower.Contracts.ChannelId;

namespace Watchtower.Cli.Tests;

/// <summary>
/// The product end to end: two-terminal wallets that upload every round to a real tower
/// (ingestion, tailer and responders on RabbitMQ and Redis, its own key prefix); both go offline
/// and Bob cheats with an old copy of his state. Same class as the other two-terminal tests, so they never compete for the cores.
/// </summary>
public sealed partial class TwoTerminalChannelTests
{
    private static readonly TimeSpan TowerPatience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AliceUploadsEveryRoundAndQuits_BobPublishesAStaleRatchet_TheTowerCountersAndAliceGetsHerLatestBalance()
    {
        var redis = Environment.GetEnvironmentVariable("WATCHTOWER_TEST_REDIS");
        var rabbit = Environment.GetEnvironmentVariable("WATCHTOWER_TEST_RABBITMQ");
        Assert.True(!string.IsNullOrWhiteSpace(redis) && !string.IsNullOrWhiteSpace(rabbit),
            "WATCHTOWER_TEST_REDIS (host:port) and WATCHTOWER_TEST_RABBITMQ (amqp URI) must name running servers; scripts/test.sh starts them");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;

        // The tower pays its own fees; it tails the network from here on.
        var towerFees = KeyPair.Random();
        await _network.FundAsync([(towerFees.AccountId, Stroops.FromLumens(100))], ct);
        var startAfter = (await _ledger.GetLatestLedgerAsync(ct)).Sequence;
        using var towerLog = new StringWriter();
        await using var tower = await DemoTower.StartAsync(
            _server, startAfter, towerFees, new DemoOptions(DemoScenario.Breach, new DemoStack(new Uri(rabbit!), redis!)), new DemoNarrator(towerLog), ct);
        try
        {
            Assert.True(await EventuallyAsync(() => tower.Tailer.Current.Cursor >= startAfter, pumpLedgers: false, ct), "the tower's tailer did not start");

            // The tower's operator issues each wallet its subscription; wallets cannot open one.
            var subscriptions = new Dictionary<AccountId, Guid> { [_alice.AccountId] = Guid.NewGuid(), [_bob.AccountId] = Guid.NewGuid() };
            var towerOperator = tower.Operator(TimeProvider.System, TowerPatience);
            foreach (var (wallet, id) in subscriptions)
            {
                Assert.NotNull((await towerOperator.RegisterAsync(id, wallet, 10, 1_000_000, DateTimeOffset.UtcNow.AddDays(365), ct)).Changed);
            }

            string[] TowerFlags(KeyPair wallet) =>
            [
                "--tower-amqp", rabbit!, "--tower-receipt-key", tower.ReceiptKey.ToString(), "--tower-sealing-key", tower.SealingKey.ToString(), "--tower-prefix", tower.KeyPrefix,
                "--subscription", subscriptions[wallet.AccountId].ToString(),
            ];
            var alice = Start([
                "channel", "host", "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone",
                "--wallet", _alice.Seed.ToString(), "--deposit", "500", "--funder", _funder.Seed.ToString(),
                "--peer", _bob.AccountId.ToString(), "--state", State("alice"), "--poll", "200ms", "--json", .. TowerFlags(_alice)]);
            alice.Listen = (string)(await alice.ExpectAsync("listening", ct))["listen"]!;
            // Bob uses the same tower: it watches his side of the channel under its own channel id.
            var bob = Start([
                "channel", "join", "--connect", alice.Listen, "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone",
                "--wallet", _bob.Seed.ToString(), "--deposit", "300", "--state", State("bob"), "--poll", "200ms", "--json", .. TowerFlags(_bob)]);
            await alice.ExpectAsync("ready", ct);
            await bob.ExpectAsync("ready", ct);
            await alice.ExpectAsync("uploaded", ct, e => (long)e["round"]! == 0);
            await bob.ExpectAsync("uploaded", ct, e => (long)e["round"]! == 0);

            await alice.SendAsync("pay 100", ct);
            await ExpectRoundAsync(1, [400, 400], ct, alice, bob);
            await alice.ExpectAsync("uploaded", ct, e => (long)e["round"]! == 1);
            // Bob keeps his round-1 state: it pays him 400, more than he will have at the end.
            var staleCopy = Path.Combine(_dir, "bob-round-1.state");
            File.Copy(Path.Combine(State("bob"), "channel.state"), staleCopy);
            await bob.SendAsync("pay 30", ct);
            await ExpectRoundAsync(2, [430, 370], ct, alice, bob);
            await alice.SendAsync("pay 10", ct);
            await ExpectRoundAsync(3, [420, 380], ct, alice, bob);
            var uploaded = await alice.ExpectAsync("uploaded", ct, e => (long)e["round"]! == 3);
            var aliceChannel = ChannelId.Parse((string)uploaded["channel"]!);
            Assert.NotEqual(aliceChannel, ChannelId.Parse((string)(await bob.ExpectAsync("uploaded", ct, e => (long)e["round"]! == 3))["channel"]!));

            // `run` takes the tower from the session: it hands the tower the latest round again.
            await alice.SendAsync("quit", ct);
            Assert.Equal(0, await alice.ExitAsync(ct));
            var resumed = Start("channel", "run", "--state", State("alice"), "--poll", "200ms", "--json");
            Assert.Equal(aliceChannel, ChannelId.Parse((string)(await resumed.ExpectAsync("uploaded", ct, e => (long)e["round"]! == 3))["channel"]!));

            // Both go offline: nobody but the tower watches the ledger for Alice.
            await resumed.SendAsync("quit", ct);
            await bob.SendAsync("quit", ct);
            Assert.Equal(0, await resumed.ExitAsync(ct));
            Assert.Equal(0, await bob.ExitAsync(ct));

            var stale = StateCodec.Decode(await File.ReadAllBytesAsync(staleCopy, ct)).State.Latest!;
            Assert.Equal(1, stale.Round);
            var cheated = await _ledger.SubmitAsync(stale.Ratchet, ct);
            Assert.True(cheated.Success, cheated.ResultCodesText);

            Assert.True(await EventuallyAsync(() => tower.Events.Find<BreachCountered>(aliceChannel) is not null, pumpLedgers: true, ct), "the tower did not counter the stale ratchet");
            Assert.Equal(3UL, tower.Events.Find<BreachCountered>(aliceChannel)!.Round);

            // Round 3's snapshots wait for minTime = M_3 + TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY (3d + 1d), in ledger time.
            await _server.AdvanceClockAsync(TimeSpan.FromDays(4) + TimeSpan.FromMinutes(1));
            Assert.True(await EventuallyAsync(() => tower.Events.Find<ChannelSettled>(aliceChannel) is not null, pumpLedgers: true, ct), "the tower did not settle the channel");

            Assert.Equal(WalletStart.Value - Stroops.FromLumens(500).Value + Stroops.FromLumens(420).Value, await BalanceAsync(_alice, ct));
            Assert.Equal(WalletStart.Value - Stroops.FromLumens(300).Value + Stroops.FromLumens(380).Value, await BalanceAsync(_bob, ct));
        }
        finally
        {
            log.WriteLine(towerLog.ToString());
        }
    }

    [Fact]
    public async Task TowerBrokerDown_UploadFailedIsReported_AndTheChannelGoesOn()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        using var sealing = Contracts.TowerSealingKey.Generate();
        // Nothing listens on port 1: the broker is down for the whole test.
        var alice = Start(
            "channel", "host", "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone",
            "--wallet", _alice.Seed.ToString(), "--deposit", "500", "--funder", _funder.Seed.ToString(),
            "--peer", _bob.AccountId.ToString(), "--state", State("alice"), "--poll", "200ms", "--json",
            "--tower-amqp", "amqp://guest:guest@127.0.0.1:1/", "--tower-receipt-key", KeyPair.Random().AccountId.ToString(),
            "--tower-sealing-key", sealing.PublicKey.ToString(), "--subscription", Guid.NewGuid().ToString(), "--tower-timeout", "1s");
        alice.Listen = (string)(await alice.ExpectAsync("listening", ct))["listen"]!;
        var bob = Start(
            "channel", "join", "--connect", alice.Listen, "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone",
            "--wallet", _bob.Seed.ToString(), "--deposit", "300", "--state", State("bob"), "--poll", "200ms", "--json");
        await alice.ExpectAsync("ready", ct);
        await bob.ExpectAsync("ready", ct);
        await alice.SendAsync("pay 100", ct);
        await ExpectRoundAsync(1, [400, 400], ct, alice, bob);

        var failed = await alice.ExpectAsync("upload-failed", ct, e => e["round"] is not null);
        Assert.Equal("Unreachable", (string)failed["status"]!);
        Assert.NotNull(failed["retryIn"]);
        Assert.StartsWith("upload failed: ", (string)failed["text"]!, StringComparison.Ordinal);
        await bob.SendAsync("pay 50", ct);
        await ExpectRoundAsync(2, [450, 350], ct, alice, bob);
    }

    [Fact]
    public async Task TowerOptions_IncompleteOrWrong_ExitTwoWithTheReason()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var receipt = KeyPair.Random().AccountId.ToString();
        using var sealing = Contracts.TowerSealingKey.Generate();
        string[] host =
        [
            "channel", "host", "--listen", "127.0.0.1:0", "--horizon", Horizon, "-n", "standalone", "--wallet", _alice.Seed.ToString(),
            "--deposit", "1", "--funder", _funder.Seed.ToString(), "--peer", _bob.AccountId.ToString(), "--state", State("t"),
        ];
        foreach (var (extra, reason) in new (string[], string)[]
        {
            (["--tower-receipt-key", receipt], "need --tower-amqp"),
            (["--tower-amqp", "amqp://127.0.0.1:5672/", "--tower-receipt-key", receipt], "--tower-sealing-key"),
            (["--tower-amqp", "http://127.0.0.1:5672/", "--tower-receipt-key", receipt, "--tower-sealing-key", sealing.PublicKey.ToString()], "amqp://"),
            (["--tower-amqp", "amqp://127.0.0.1:5672/", "--tower-receipt-key", receipt, "--tower-sealing-key", sealing.PublicKey.ToString()], "--subscription"),
            (["--tower-amqp", "amqp://127.0.0.1:5672/", "--tower-receipt-key", receipt, "--tower-sealing-key", sealing.PublicKey.ToString(), "--subscription", "x"], "GUID"),
        })
        {
            var p = Start([.. host, .. extra]);
            Assert.Equal(2, await p.ExitAsync(cts.Token));
            Assert.Contains(reason, p.Transcript(), StringComparison.Ordinal);
        }
    }

    /// <summary>Poll a condition the tower makes true, closing ledgers meanwhile if asked; false after <see cref="TowerPatience"/>.</summary>
    private async Task<bool> EventuallyAsync(Func<bool> done, bool pumpLedgers, CancellationToken ct)
    {
        var until = DateTimeOffset.UtcNow + TowerPatience;
        while (!done())
        {
            if (DateTimeOffset.UtcNow > until)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            if (pumpLedgers)
            {
                await _server.CloseLedgerAsync();
            }
        }

        return true;
    }
}
