using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Watchtower.TowerClient;
using ChannelId = Watchtower.Contracts.ChannelId;
using WalletStateStore = Watchtower.Channels.Runtime.InMemoryChannelStore;

namespace Watchtower.Demo;

/// <summary>A wallet's ledger balance before the channel and after it settled, against what the latest round promised.</summary>
public sealed record WalletOutcome(string Name, AccountId Wallet, Stroops Before, Stroops Expected, Stroops Actual)
{
    public bool IsRight => Expected == Actual;
}

/// <summary>How the demo ended: exit code 0 only when every check on the ledger held.</summary>
public sealed record DemoOutcome(DemoScenario Scenario, ImmutableArray<string> Failures, ImmutableArray<WalletOutcome> Wallets, TimeSpan Elapsed)
{
    public bool Succeeded => Failures.IsEmpty;

    public int ExitCode => Succeeded ? 0 : 1;
}

/// <summary>
/// The whole story in one process: a standalone network on a clock only the demo moves, the
/// tower (embedded or on RabbitMQ and Redis), and two wallets. Alice and Bob open a channel and
/// pay each other over several rounds; Alice uploads every round to the tower and goes offline.
/// Then either Bob broadcasts a stale ratchet (breach) or nobody refreshes the channel (deadline),
/// and the tower — not Alice — puts the latest round on the ledger. Every claim is checked on the
/// ledger; any failed check makes the outcome a failure.
/// </summary>
public sealed class DemoRunner
{
    private const uint FeePerOperation = 100;
    private static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(100);

    private readonly DemoOptions _options;
    private readonly DemoNarrator _say;
    private readonly TimeProvider _wall;
    private readonly List<string> _failures = [];
    private readonly Dictionary<long, ImmutableArray<long>> _rounds = [];

    private DemoRunner(DemoOptions options, DemoNarrator narrator, TimeProvider wallClock)
    {
        _options = options;
        _say = narrator;
        _wall = wallClock;
    }

    /// <summary>Runs the scenario, writing the account to <paramref name="output"/>.</summary>
    public static async Task<DemoOutcome> RunAsync(DemoOptions options, TextWriter output, TimeProvider wallClock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(wallClock);
        var runner = new DemoRunner(options, new DemoNarrator(output), wallClock);
        try
        {
            return await runner.RunAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A server that cannot be reached or a step that cannot go on ends the story with its reason, not a stack trace.
            runner._failures.Add($"the demo stopped: {e.GetType().Name}: {e.Message}");
            runner._say.Bad(runner._failures[^1]);
            return runner.Finish([]);
        }
    }

    private async Task<DemoOutcome> RunAsync(CancellationToken ct)
    {
        var story = _options.Scenario == DemoScenario.Breach
            ? "a stale ratchet countered by the tower"
            : "a force close on the ratchet's deadline";
        var transport = _options.Stack is { } s ? $"RabbitMQ {s.RabbitMq.Host}:{s.RabbitMq.Port}, Redis {s.Redis}" : "embedded: in-memory bus and store";
        _say.Title($"Watchtower demo: {story} ({transport})");

        // 1. The network, on a ledger clock that moves only when the demo says so.
        _say.Step("Starting the standalone Stellar network (in process, ledger clock controlled by the demo)");
        var ledgerClock = new StoppedClock(DateTimeOffset.FromUnixTimeSeconds(_wall.GetUtcNow().ToUnixTimeSeconds()));
        await using var network = await StandaloneServer.StartAsync(
            new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, ledgerClock, ct).ConfigureAwait(false);
        using var http = new HttpClient();
        var ledger = LedgerClientFactory.Create(
            new LedgerClientOptions { Url = network.HorizonUri, NetworkPassphrase = network.Network.Passphrase }, http, _wall);
        var genesis = await ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
        _say.Detail($"Horizon API   {network.HorizonUri}");
        _say.Detail($"passphrase    {network.Network.Passphrase}");
        _say.Detail($"ledger        {genesis.Sequence}; the ledger clock starts at {DemoNarrator.Time(ledgerClock.GetUtcNow())} and moves only when the demo advances it");

        // 2. Accounts: two wallets, the channel's setup payer, and the tower's fee account.
        _say.Step("Creating the wallets (root account pays)");
        var wallets = DemoScript.Names.Select(_ => KeyPair.Random()).ToArray();
        var funder = KeyPair.Random();
        var towerFees = KeyPair.Random();
        var created = await CreateAccountsAsync(network, ledger,
            [.. wallets.Select(w => (w.AccountId, DemoScript.WalletStart)), (funder.AccountId, Stroops.FromLumens(100)), (towerFees.AccountId, Stroops.FromLumens(100))], ct)
            .ConfigureAwait(false);
        _say.Detail($"tx {created.Hash} (ledger {created.Ledger})");
        var before = new Stroops[wallets.Length];
        for (var i = 0; i < wallets.Length; i++)
        {
            before[i] = await BalanceAsync(ledger, wallets[i].AccountId, ct).ConfigureAwait(false);
            _say.Detail($"{DemoScript.Names[i],-5} wallet {wallets[i].AccountId}: {DemoNarrator.Lumens(before[i])}");
        }

        // 3. The tower.
        _say.Step(_options.Stack is null
            ? "Starting the tower: ingestion, ledger tailer and responders on the in-memory bus and store"
            : "Starting the tower: ingestion, ledger tailer and responders on RabbitMQ and Redis");
        var startAfter = (await ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).Sequence;
        await using var tower = await DemoTower.StartAsync(network, startAfter, towerFees, _options, _say, ct).ConfigureAwait(false);
        _say.Detail($"roles         {_options.TowerRoles}");
        _say.Detail($"receipt key   {tower.ReceiptKey}");
        _say.Detail($"sealing key   {tower.SealingKey} (X25519; bundles are encrypted to it)");
        if (_options.Stack is not null)
        {
            _say.Detail($"key prefix    {tower.KeyPrefix}");
        }

        var tailing = await WaitUntilAsync(() => tower.Tailer.Current.Cursor >= startAfter, pumpLedgers: false, ct).ConfigureAwait(false);
        Check(tailing, $"the tower tails the network from ledger {startAfter}", "the tower's tailer did not start");

        // 4. Alice's subscription: she will hand the tower every round.
        _say.Step("Alice subscribes to the tower");
        var subscription = Guid.NewGuid();
        var identity = KeyPair.Random();
        var uploads = new List<UploadOutcome>();
        await using var aliceTower = new WalletTowerClient(tower.Bus, tower.Address, subscription, identity, _wall, new TowerClientOptions(), o => Uploaded(uploads, o));
        // The operator (the demo holds the embedded tower's operator key) issues it; a wallet cannot.
        var (registered, refused) = await tower.Operator(_wall, _options.ReactionTimeout)
            .RegisterAsync(subscription, identity.AccountId, maxChannels: 10, maxBytes: 1_000_000, _wall.GetUtcNow().AddDays(365), ct).ConfigureAwait(false);
        if (registered is null)
        {
            throw new InvalidOperationException($"the tower refused the subscription: {refused!.Reason} {refused.Detail}");
        }
        _say.Detail($"subscription {subscription}, wallet identity {identity.AccountId}");
        // Bob keeps every round he signed, as any wallet could: that is what he will cheat with.
        var bobSink = new RecordingBundleSink();
        IBundleSink[] sinks = [aliceTower, bobSink];

        // 5. Opening.
        _say.Step($"Opening a channel: Alice deposits {DemoNarrator.Lumens(DemoScript.Deposits[0])}, Bob {DemoNarrator.Lumens(DemoScript.Deposits[1])}");
        var participants = wallets.Select((w, i) => LocalParticipant.Create(w, new Deposit(Asset.Native, DemoScript.Deposits[i]))).ToList();
        var group = await LocalChannelGroup.OpenAsync(ledger, funder, participants, DemoScript.Timeouts, FeePerOperation,
            _ => new WalletStateStore(), i => sinks[i], ct).ConfigureAwait(false);
        await AliceUploadedAsync(aliceTower, ct).ConfigureAwait(false);
        var parameters = group.Parameters;
        var channel = ChannelId.Derive(parameters.Network, parameters.Escrow, parameters.Participants[DemoScript.Alice].VersionAccount);
        _say.Detail($"escrow R      {parameters.Escrow} (2-of-2 of the ratchet keys), funded at sequence {parameters.FundedEscrowSequence.Value}");
        _say.Detail($"r_0           {parameters.InitialRatchetTarget.Value}; r_j = r_0 + {parameters.Count + 1}j");
        _say.Detail($"timeouts      D = {parameters.Timeouts.SynchronyDelay.TotalDays} day, TIMEOUT_CLAIM = {parameters.Timeouts.TimeoutClaim.TotalDays} days, TIMEOUT_CLAIM_DELAY = {parameters.Timeouts.TimeoutClaimDelay.TotalDays} day");
        _say.Detail($"tower's channel id for Alice: {channel}");
        await ShowWalletsAsync(ledger, wallets, "after the deposits", ct).ConfigureAwait(false);
        ShowChannel(group);

        // 6. Payments.
        foreach (var (payment, k) in DemoScript.Payments.Select((p, k) => (p, k)))
        {
            _say.Step($"Round {k + 1}: {DemoScript.Names[payment.From]} pays {DemoScript.Names[payment.To]} {DemoNarrator.Lumens(payment.Amount)}");
            var error = await group.PayAsync(payment.From, payment.To, payment.Amount, ct).ConfigureAwait(false);
            if (error is not null)
            {
                _failures.Add($"round {k + 1} failed: {error}");
                _say.Bad($"the round failed: {error}");
                return Finish([]);
            }

            await AliceUploadedAsync(aliceTower, ct).ConfigureAwait(false);
            ShowChannel(group);
        }

        var latest = group[DemoScript.Alice]!.State.Latest!;
        ImmutableArray<ulong> acknowledged;
        lock (uploads)
        {
            acknowledged = [.. uploads.Where(u => u.Status == UploadStatus.Accepted).Select(u => u.Round)];
        }

        Check(acknowledged.SequenceEqual(Enumerable.Range(0, (int)latest.Round + 1).Select(r => (ulong)r)),
            $"the tower holds every round of Alice's, each with a verified receipt: rounds {string.Join(", ", acknowledged)}",
            $"the tower acknowledged rounds {string.Join(", ", acknowledged)} of Alice's 0..{latest.Round}");
        var aliceRatchet = latest.Ratchet.Hash(parameters.Network);
        var ratchetMax = ChannelTransactions.RatchetMaxTime(parameters, latest.Start);
        var snapshotMin = ChannelTransactions.SnapshotMinTime(parameters, latest.Start, latest.Closing);

        // 7. Alice leaves.
        _say.Step("Alice goes offline: her wallet neither answers Bob nor watches the ledger; only the tower acts for her");
        group.Disconnect(DemoScript.Alice);
        _say.Detail($"her latest round is {latest.Round}: ratchet {aliceRatchet}");
        _say.Detail($"valid in ledger time [{DemoNarrator.Time(latest.Start)}, {DemoNarrator.Time(ratchetMax)}]; snapshots from {DemoNarrator.Time(snapshotMin)}");

        var reacted = _options.Scenario == DemoScenario.Breach
            ? await BreachAsync(network, ledger, tower, parameters, bobSink, channel, latest.Round, aliceRatchet, ct).ConfigureAwait(false)
            : await DeadlineAsync(network, ledger, tower, parameters, channel, latest.Round, aliceRatchet, ratchetMax, ct).ConfigureAwait(false);
        if (reacted)
        {
            await SettleAsync(network, ledger, tower, channel, parameters, latest, snapshotMin, ct).ConfigureAwait(false);
        }

        if (_options.Scenario == DemoScenario.Breach)
        {
            await BobCashesStaleSnapshotsAsync(network, ledger, parameters, bobSink, ct).ConfigureAwait(false);
        }

        // Final: the ledger is the judge.
        _say.Step("Balances on the ledger");
        var outcomes = ImmutableArray.CreateBuilder<WalletOutcome>();
        for (var i = 0; i < wallets.Length; i++)
        {
            var actual = await BalanceAsync(ledger, wallets[i].AccountId, ct).ConfigureAwait(false);
            var expected = DemoScript.ExpectedWalletBalance(i);
            var outcome = new WalletOutcome(DemoScript.Names[i], wallets[i].AccountId, before[i], expected, actual);
            outcomes.Add(outcome);
            var line = $"{outcome.Name,-5} before {DemoNarrator.Lumens(before[i]),-14} after {DemoNarrator.Lumens(actual),-14} expected {DemoNarrator.Lumens(expected)} (start − deposit + latest channel balance)";
            if (outcome.IsRight)
            {
                _say.Good(line);
            }
            else
            {
                _failures.Add($"{outcome.Name}'s wallet holds {DemoNarrator.Lumens(actual)}, expected {DemoNarrator.Lumens(expected)}");
                _say.Bad(line);
            }
        }

        return Finish(outcomes.ToImmutable());
    }

    private async Task<bool> BreachAsync(
        StandaloneServer network, ILedgerClient ledger, DemoTower tower, ChannelParameters parameters, RecordingBundleSink bobSink,
        ChannelId channel, long round, TransactionHash aliceRatchet, CancellationToken ct)
    {
        var stale = bobSink.Bundles.Last(b => b.Round == DemoScript.StaleRound);
        var staleBalances = _rounds[stale.Round];
        _say.Step($"Bob cheats: he broadcasts his round-{stale.Round} ratchet (that round gave Alice {DemoNarrator.Lumens(new Stroops(staleBalances[0]))}, Bob {DemoNarrator.Lumens(new Stroops(staleBalances[1]))})");
        var submitted = await ledger.SubmitAsync(stale.Ratchet, ct).ConfigureAwait(false);
        if (!submitted.Success)
        {
            _failures.Add($"Bob's stale ratchet did not apply ({submitted.ResultCodesText}): the breach never happened");
            _say.Bad($"stale ratchet refused: {submitted.ResultCodesText}");
            return false;
        }

        var escrow = await EscrowSequenceAsync(ledger, parameters, ct).ConfigureAwait(false);
        _say.Detail($"tx {submitted.Hash} in ledger {submitted.Ledger}");
        _say.Detail($"R's sequence is now {escrow?.Value} = r_{stale.Round} < r_{round} = {parameters.RatchetTarget(round).Value}: unanswered, round {stale.Round}'s snapshots would pay out once their minTime passes");

        _say.Step("The tower sees the stale ratchet in the ledger stream and answers with Alice's latest ratchet");
        var watching = _wall.GetUtcNow();
        if (!await WaitUntilAsync(() => tower.Events.Find<BreachCountered>(channel) is not null, pumpLedgers: true, ct, network).ConfigureAwait(false))
        {
            _failures.Add("the tower did not counter the stale ratchet in time");
            _say.Bad("no BreachCountered from the tower");
            return false;
        }

        var countered = tower.Events.Find<BreachCountered>(channel)!;
        _say.Good($"BreachCountered: stale ratchet seen in ledger {countered.LedgerSequence} (R at {countered.ObservedEscrowSequence}); answered with round {countered.Round} after {(_wall.GetUtcNow() - watching).TotalSeconds:0.00}s (wall clock)");
        _say.Detail($"tower's ratchet tx {countered.RatchetTransactionHash}");
        await CheckTowerRatchetAsync(ledger, parameters, countered.RatchetTransactionHash, aliceRatchet, round, ct).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> DeadlineAsync(
        StandaloneServer network, ILedgerClient ledger, DemoTower tower, ChannelParameters parameters, ChannelId channel, long round,
        TransactionHash aliceRatchet, DateTimeOffset ratchetMax, CancellationToken ct)
    {
        var d = DemoScript.Timeouts.SynchronyDelay;
        // A quiet day first: the tower must not act while there is time left.
        var quiet = ratchetMax - d - TimeSpan.FromDays(1);
        _say.Step($"Nobody refreshes the channel. Ledger time moves to {DemoNarrator.Time(quiet)} (a day before the deadline window)");
        var ledgerAtQuiet = await AdvanceToAsync(network, ledger, quiet, ct).ConfigureAwait(false);
        var seen = await WaitUntilAsync(() => tower.Tailer.Current.Cursor >= ledgerAtQuiet, pumpLedgers: false, ct).ConfigureAwait(false);
        Check(seen && tower.Events.Find<DeadlineForceClosed>(channel) is null,
            $"the tower has seen ledger {ledgerAtQuiet} and rightly does nothing: maxTime − ledger time > D",
            "the tower acted before the deadline, or did not follow the ledger");

        _say.Step($"Ledger time reaches {DemoNarrator.Time(ratchetMax - d)}: within D of the latest ratchet's maxTime");
        _say.Detail($"the tower force-closes once maxTime − ledger time ≤ D + its safety margin ({tower.DeadlineSafetyMargin.TotalMinutes} min), so the ratchet still has D to get into a ledger before it expires");
        await AdvanceToAsync(network, ledger, ratchetMax - d, ct).ConfigureAwait(false);
        if (!await WaitUntilAsync(() => tower.Events.Find<DeadlineForceClosed>(channel) is not null, pumpLedgers: true, ct, network).ConfigureAwait(false))
        {
            _failures.Add("the tower did not force-close the channel at the deadline");
            _say.Bad("no DeadlineForceClosed from the tower");
            return false;
        }

        var closed = tower.Events.Find<DeadlineForceClosed>(channel)!;
        _say.Good($"DeadlineForceClosed: ledger {closed.LedgerSequence}, round {closed.Round}");
        _say.Detail($"tower's ratchet tx {closed.RatchetTransactionHash}");
        await CheckTowerRatchetAsync(ledger, parameters, closed.RatchetTransactionHash, aliceRatchet, round, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>After the ratchet: ledger time passes the snapshots' minTime and the tower submits them; the channel settles.</summary>
    private async Task SettleAsync(
        StandaloneServer network, ILedgerClient ledger, DemoTower tower, ChannelId channel, ChannelParameters parameters, CompletedRound latest,
        DateTimeOffset snapshotMin, CancellationToken ct)
    {
        _say.Step($"Ledger time passes the snapshots' minTime ({DemoNarrator.Time(snapshotMin)}); the tower submits round {latest.Round}'s snapshots");
        await AdvanceToAsync(network, ledger, snapshotMin, ct).ConfigureAwait(false);
        // Both events: they are published in this order, but handlers on our endpoint may record them out of order.
        var settled = await WaitUntilAsync(
            () => tower.Events.Find<ChannelSettled>(channel) is not null && tower.Events.Find<SnapshotsSubmitted>(channel) is not null,
            pumpLedgers: true, ct, network).ConfigureAwait(false);
        // Responders may handle overlapping triggers (the snapshots themselves are activity on R); a repeat submission is idempotent.
        var submitted = tower.Events.All.OfType<SnapshotsSubmitted>().Where(s => s.ChannelId == channel).ToList();
        if (submitted.Count > 0)
        {
            _say.Good($"SnapshotsSubmitted (round {submitted[0].Round}, triggered at ledger {string.Join(", ", submitted.Select(s => s.LedgerSequence).Distinct())})");
            foreach (var hash in submitted.SelectMany(s => s.TransactionHashes).Distinct())
            {
                _say.Detail($"snapshot tx {hash}");
            }
        }

        if (!settled)
        {
            _failures.Add("the tower did not settle the channel");
            _say.Bad("no ChannelSettled from the tower");
            return;
        }

        var done = tower.Events.Find<ChannelSettled>(channel)!;
        _say.Good($"ChannelSettled: ledger {done.LedgerSequence}; the tower forgot the channel and freed its storage");
        var final = parameters.RatchetTarget(latest.Round) + parameters.Count;
        var escrow = await EscrowSequenceAsync(ledger, parameters, ct).ConfigureAwait(false);
        Check(escrow == final, $"R's sequence is r_{latest.Round} + n = {final.Value}: every snapshot of round {latest.Round} executed",
            $"R's sequence is {escrow?.Value}, expected {final.Value}");
    }

    /// <summary>Bob's last hope: once their minTime has passed, he submits his stale round's snapshots in order.</summary>
    private async Task BobCashesStaleSnapshotsAsync(StandaloneServer network, ILedgerClient ledger, ChannelParameters parameters, RecordingBundleSink bobSink, CancellationToken ct)
    {
        var stale = bobSink.Bundles.Last(b => b.Round == DemoScript.StaleRound);
        var minTime = ChannelTransactions.SnapshotMinTime(parameters, stale.RoundStart, closing: false);
        _say.Step($"Bob tries to cash his round-{stale.Round} snapshots anyway (their minTime, {DemoNarrator.Time(minTime)}, has passed)");
        await AdvanceToAsync(network, ledger, minTime, ct).ConfigureAwait(false);
        var paid = new List<TransactionHash>();
        foreach (var snapshot in stale.Snapshots)
        {
            var attempt = await ledger.SubmitAsync(snapshot, ct).ConfigureAwait(false);
            if (!attempt.Success)
            {
                _say.Good($"refused by the network: {attempt.ResultCodesText}: R has moved past round {stale.Round} for good");
                return;
            }

            paid.Add(attempt.Hash);
        }

        _failures.Add($"Bob's stale round {stale.Round} paid out ({string.Join(", ", paid)})");
        _say.Bad($"Bob's stale round {stale.Round} paid out: {string.Join(", ", paid)}");
    }

    /// <summary>The tower's ratchet is on the ledger: R sits at r of Alice's latest round.</summary>
    private async Task CheckTowerRatchetAsync(ILedgerClient ledger, ChannelParameters parameters, string towerHash, TransactionHash aliceRatchet, long round, CancellationToken ct)
    {
        // The tower may fee-bump the ratchet; then the hash on the ledger is the fee bump's, wrapping Alice's ratchet.
        _say.Detail(towerHash == aliceRatchet.ToString()
            ? $"= Alice's round-{round} ratchet, submitted by the tower while Alice is offline"
            : $"a fee bump paid by the tower, wrapping Alice's round-{round} ratchet {aliceRatchet}");
        var escrow = await EscrowSequenceAsync(ledger, parameters, ct).ConfigureAwait(false);
        var target = parameters.RatchetTarget(round);
        Check(escrow == target, $"R's sequence is r_{round} = {target.Value}: every older round's snapshots are now unusable",
            $"R's sequence is {escrow?.Value}, expected r_{round} = {target.Value}");
    }

    /// <summary>Prints the round just completed and remembers its balances (the story refers back to them).</summary>
    private void ShowChannel(LocalChannelGroup group)
    {
        var state = group[DemoScript.Alice]!.State;
        var balances = LocalChannelGroup.NativeBalances(state);
        _rounds[state.Latest!.Round] = balances;
        _say.Detail($"round {state.Latest!.Round} complete: Alice {DemoNarrator.Lumens(new Stroops(balances[0]))}, Bob {DemoNarrator.Lumens(new Stroops(balances[1]))} (both hold signed snapshots and their ratchet)");
    }

    private async Task ShowWalletsAsync(ILedgerClient ledger, KeyPair[] wallets, string when, CancellationToken ct)
    {
        for (var i = 0; i < wallets.Length; i++)
        {
            _say.Detail($"{DemoScript.Names[i],-5} wallet {when}: {DemoNarrator.Lumens(await BalanceAsync(ledger, wallets[i].AccountId, ct).ConfigureAwait(false))}");
        }
    }

    private void Check(bool holds, string good, string bad)
    {
        if (holds)
        {
            _say.Good(good);
        }
        else
        {
            _failures.Add(bad);
            _say.Bad(bad);
        }
    }

    /// <summary>Alice's wallet hands each round to the tower in the background; the story waits for the answer before going on.</summary>
    private async Task AliceUploadedAsync(WalletTowerClient client, CancellationToken ct)
    {
        using var limit = new CancellationTokenSource(_options.ReactionTimeout, _wall);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        try
        {
            await client.WhenIdleAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _say.Bad("Alice → tower: still no answer from the tower");
        }
    }

    private void Uploaded(List<UploadOutcome> uploads, UploadOutcome o)
    {
        lock (uploads)
        {
            uploads.Add(o);
        }

        if (o.Status == UploadStatus.Accepted)
        {
            _say.Good($"Alice → tower: round {o.Round} bundle ({o.SealedBytes} bytes sealed) accepted; receipt signed by the tower at ledger {o.Receipt!.AcceptingLedger}, verified");
        }
        else
        {
            _say.Bad($"Alice → tower: round {o.Round} bundle {o.Problem}");
        }
    }

    private DemoOutcome Finish(ImmutableArray<WalletOutcome> wallets)
    {
        var outcome = new DemoOutcome(_options.Scenario, [.. _failures], wallets, _say.Elapsed);
        _say.Step(outcome.Succeeded
            ? $"Outcome: right. Alice got her latest balance without being online. Finished in {outcome.Elapsed.TotalSeconds:0.0}s (wall clock)."
            : $"Outcome: FAILED ({string.Join("; ", outcome.Failures)})");
        return outcome;
    }

    /// <summary>
    /// Polls until <paramref name="done"/> holds or the reaction timeout passes (wall clock). With
    /// <paramref name="pumpLedgers"/> the network keeps closing ledgers meanwhile (a second of
    /// ledger time each), as a live network would, so the tower keeps seeing new ledgers.
    /// </summary>
    private async Task<bool> WaitUntilAsync(Func<bool> done, bool pumpLedgers, CancellationToken ct, StandaloneServer? network = null)
    {
        var until = _wall.GetUtcNow() + _options.ReactionTimeout;
        while (!done())
        {
            if (_wall.GetUtcNow() > until)
            {
                return false;
            }

            await Task.Delay(PumpInterval, _wall, ct).ConfigureAwait(false);
            if (pumpLedgers && network is not null && !done())
            {
                await network.CloseLedgerAsync().ConfigureAwait(false);
            }
        }

        return true;
    }

    /// <summary>Moves ledger time to at least <paramref name="time"/> through the server's clock API; returns the ledger closed there.</summary>
    private static async Task<uint> AdvanceToAsync(StandaloneServer network, ILedgerClient ledger, DateTimeOffset time, CancellationToken ct)
    {
        var latest = await ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
        while (latest.CloseTime < time)
        {
            // Closes can run ahead of the clock by a second each; advance until a close lands at or after the target.
            await network.AdvanceClockAsync(time - latest.CloseTime).ConfigureAwait(false);
            latest = await ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
        }

        return latest.Sequence;
    }

    private static async Task<SubmitOutcome> CreateAccountsAsync(StandaloneServer network, ILedgerClient ledger, IReadOnlyList<(AccountId Account, Stroops Balance)> accounts, CancellationToken ct)
    {
        var root = await ledger.LoadAccountAsync(network.Root.AccountId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the network has no root account");
        var builder = new TransactionBuilder(network.Root.AccountId, root.Sequence);
        foreach (var (account, balance) in accounts)
        {
            builder = builder.AddOperation(new CreateAccountOperation(account, balance));
        }

        var outcome = await ledger.SubmitAsync(builder.BuildEnvelope().Sign(network.Network, network.Root), ct).ConfigureAwait(false);
        return outcome.Success ? outcome : throw new InvalidOperationException($"creating the demo accounts failed: {outcome.ResultCodesText}");
    }

    private static async Task<Stroops> BalanceAsync(ILedgerClient ledger, AccountId account, CancellationToken ct) =>
        (await ledger.LoadAccountAsync(account, ct).ConfigureAwait(false))?.Balance ?? new Stroops(0);

    private static async Task<SequenceNumber?> EscrowSequenceAsync(ILedgerClient ledger, ChannelParameters parameters, CancellationToken ct) =>
        (await ledger.LoadAccountAsync(parameters.Escrow, ct).ConfigureAwait(false))?.Sequence;
}
