using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Watchtower.Tower.Ingestion;
using Watchtower.TowerClient;

namespace Watchtower.Chaos.Tests;

/// <summary>
/// One chaos run: the tower as separate processes, channels opened and uploading over the broker,
/// then <see cref="ChaosProfile.Ticks"/> ticks of ledger time during which breaches and stopped
/// wallets strike at random ledgers, faults are injected and the upload queue is flooded; then every
/// remaining channel is left to the tower's deadline rule, and the ledger is read to judge.
/// </summary>
internal sealed class ChaosRun
{
    private static readonly TimeSpan Slack = TimeSpan.FromHours(6);

    private static readonly TimeSpan OutageLength = TimeSpan.FromSeconds(40);

    private readonly ChaosProfile _profile;
    private readonly int _seed;
    private readonly ChaosServers _servers;
    private readonly Action<string> _log;
    private readonly Random _rng;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _harnessErrors = [];
    private readonly Dictionary<string, TimeSpan> _phases = [];
    private volatile bool _flooding;

    private ChaosRun(ChaosProfile profile, int seed, ChaosServers servers, Action<string> log)
    {
        _profile = profile;
        _seed = seed;
        _servers = servers;
        _log = m => log($"[{_clock.Elapsed:mm\\:ss}] {m}");
        _rng = new Random(seed);
    }

    public static async Task<ChaosReport> RunAsync(ChaosProfile profile, int seed, ChaosServers servers, Action<string> log, CancellationToken ct)
    {
        var run = new ChaosRun(profile, seed, servers, log);
        return await run.RunAsync(ct).ConfigureAwait(false);
    }

    private async Task<ChaosReport> RunAsync(CancellationToken ct)
    {
        var logs = Directory.CreateTempSubdirectory("wt-chaos-").FullName;
        var basePort = Environment.GetEnvironmentVariable("WATCHTOWER_CHAOS_PORT") is { Length: > 0 } p ? int.Parse(p, CultureInfo.InvariantCulture) : 18000;
        _log($"profile {_profile.Name}, seed {_seed}, logs in {logs}, engines {(_servers.Clustered ? "clustered" : "single-node")}");
        await using var deployment = await TowerDeployment.StartAsync(_servers, logs, basePort, replicasPerRole: 2, ct).ConfigureAwait(false);
        Mark("tower started");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var ledger = LedgerClientFactory.Create(new LedgerClientOptions { Url = deployment.Horizon, NetworkPassphrase = Network.Standalone.Passphrase }, http, TimeProvider.System);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(_servers.Brokers[0]));
        await bus.StartAsync(ct).ConfigureAwait(false);
        var channels = new List<ChaosChannel>();
        try
        {
            try
            {
                return await DriveAsync(logs, deployment, ledger, http, bus, channels, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || ct.IsCancellationRequested)
            {
                throw new InvalidOperationException($"{e.Message}\n{deployment.Tails(25)}", e);
            }
        }
        finally
        {
            foreach (var c in channels.Where(c => c.Client is not null))
            {
                await c.Client.DisposeAsync().ConfigureAwait(false);
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await bus.StopAsync(stop.Token).ConfigureAwait(false);
        }
    }

    private async Task<ChaosReport> DriveAsync(string logs, TowerDeployment deployment, ILedgerClient ledger, HttpClient http, IBusControl bus, List<ChaosChannel> channels, CancellationToken ct)
    {
        var prefix = deployment.Prefix;
        // Through the queues' exchanges, as wallets do: the tower declares its queues (quorum where the broker has them).
        var subscriptionsQueue = TowerQueues.SendAddress(TowerQueues.Subscriptions(prefix));
        var address = new TowerAddress(deployment.ReceiptKey.AccountId, deployment.SealingKey.PublicKey,
            TowerQueues.SendAddress(TowerQueues.UploadBundle(prefix)), TowerQueues.SendAddress(TowerQueues.AuditChannel(prefix)));
        var operatorCommands = new TowerOperator(bus, deployment.OperatorKey, deployment.ReceiptKey.AccountId, subscriptionsQueue, TimeProvider.System, TimeSpan.FromSeconds(30));
        var clientOptions = new TowerClientOptions { RequestTimeout = TimeSpan.FromSeconds(15), FirstRetry = TimeSpan.FromMilliseconds(500), MaxRetry = TimeSpan.FromSeconds(5) };

        for (var i = 0; i < _profile.Channels; i++)
        {
            var c = new ChaosChannel(i, KeyPair.Random(), KeyPair.Random(), KeyPair.Random(),
                Stroops.FromLumens(_rng.Next(100, 600)).Value, Stroops.FromLumens(_rng.Next(100, 600)).Value, deployment.SealingKey.PublicKey, () => _flooding);
            c.Client = new WalletTowerClient(bus, address, c.Subscription, c.Alice, TimeProvider.System, clientOptions, c.OnOutcome);
            channels.Add(c);
        }

        await FundAsync(deployment, ledger, channels, ct).ConfigureAwait(false);
        Mark("accounts funded");
        foreach (var c in channels)
        {
            await Subscriptions.CreateAsync(operatorCommands, c.Subscription, c.Alice.AccountId, ct).ConfigureAwait(false);
        }

        var strangers = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToList();
        foreach (var s in strangers)
        {
            await Subscriptions.CreateAsync(operatorCommands, s, KeyPair.Random().AccountId, ct).ConfigureAwait(false);
        }

        await OpenAsync(ledger, channels, ct).ConfigureAwait(false);
        Mark("channels open");
        var now = (await ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).CloseTime;
        foreach (var c in channels)
        {
            await PayAsync(c, now, ct).ConfigureAwait(false);
        }

        await AllIdleAsync(channels, TimeSpan.FromSeconds(120), ct).ConfigureAwait(false);
        Mark("first rounds receipted");

        AssignFates(channels);
        var faults = new FaultInjector(deployment, _servers, new Random(_rng.Next()), _log);
        using var otherTower = TowerSealingKey.Generate();
        var flood = new HostileFlood(bus, address.Uploads, channels, strangers, otherTower.PublicKey);
        using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _flooding = true;
        var flooding = flood.RunAsync(_profile.HostileUploads, workers: 96, _seed, stopFlood.Token).ContinueWith(t =>
        {
            _flooding = false;
            return t;
        }, TaskScheduler.Default).Unwrap();

        var final = await ChaosPhaseAsync(http, deployment, ledger, channels, faults, flood, ct).ConfigureAwait(false);
        Mark("chaos phase");

        // The end: every wallet still refreshing makes one last round; then all are left to the tower.
        foreach (var c in channels.Where(c => !c.Frozen))
        {
            await PayAsync(c, final, ct).ConfigureAwait(false);
        }

        await AllIdleAsync(channels, TimeSpan.FromSeconds(120), ct).ConfigureAwait(false);
        try
        {
            await flooding.WaitAsync(TimeSpan.FromMinutes(_profile.Name == "long" ? 60 : 5), ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await stopFlood.CancelAsync().ConfigureAwait(false);
            _harnessErrors.Add($"the flood sent only {flood.Sent} of {_profile.HostileUploads} hostile uploads in time");
        }

        Mark("flood done, last rounds receipted");

        var finalDeadlines = channels.Count(c => !c.Frozen);
        now = await AdvanceAsync(http, deployment.Horizon, ChaosChannel.Timeouts.TimeoutClaim - ChaosChannel.Timeouts.TimeoutClaimDelay, ct).ConfigureAwait(false);
        _log($"ledger time {now:O}: every remaining channel's deadline is due");
        await UntilAsync(channels, c => RatchetLandedAsync(ledger, c, 0, ct), TimeSpan.FromSeconds(120), "Alice's latest ratchet on the ledger", ct).ConfigureAwait(false);
        Mark("deadline ratchets");

        now = await AdvanceAsync(http, deployment.Horizon, ChaosChannel.Timeouts.TimeoutClaimDelay + ChaosChannel.Timeouts.TimeoutClaimDelay + TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
        _log($"ledger time {now:O}: every snapshot is valid; Bob tries his stale snapshots");
        var cheatsRefused = 0;
        foreach (var c in channels.Where(c => c.StaleRound is not null))
        {
            foreach (var snapshot in c.BobSink.Bundles.Last(b => b.Round == c.StaleRound).Snapshots)
            {
                var outcome = await SubmitPatientlyAsync(ledger, snapshot, ct).ConfigureAwait(false);
                cheatsRefused += outcome.Success ? 0 : 1;
            }
        }

        await UntilAsync(channels, async c => (await BalancesAsync(ledger, c, ct).ConfigureAwait(false)).SequenceEqual(Expected(c)), TimeSpan.FromSeconds(120), "wallets paid", ct)
            .ConfigureAwait(false);
        Mark("settled");
        // A settled channel is forgotten by the tower: its old rounds must still not be taken again.
        await flood.ReplayAfterSettlementAsync(channels.Where(c => c.Fate != ChannelFate.Honest), ct).ConfigureAwait(false);

        var outcomes = new List<ChannelOutcome>();
        foreach (var c in channels)
        {
            outcomes.Add(await OutcomeAsync(ledger, c, ct).ConfigureAwait(false));
        }

        var problems = ChaosVerdict.Judge(outcomes, _profile.D);
        var latencies = channels.SelectMany(c => c.LatenciesMs).ToList();
        return new ChaosReport(
            _profile, _seed, channels.Count,
            channels.Count(c => c.Fate == ChannelFate.Breach), channels.Count(c => c.StaleRound is not null),
            channels.Count(c => c.Fate == ChannelFate.Deadline), finalDeadlines, cheatsRefused,
            faults.Done.ToDictionary(k => k.Key.ToString(), k => k.Value), faults.Unsupported.ToDictionary(k => k.Key.ToString(), k => k.Value),
            flood.Sent, flood.Unanswered, flood.Answers.ToDictionary(), [.. flood.Accepted],
            latencies.Count, ChaosVerdict.Percentile(latencies, 0.5), ChaosVerdict.Percentile(latencies, 0.99),
            channels.SelectMany(c => c.UploadFailures).GroupBy(k => k.Key).ToDictionary(g => g.Key, g => g.Sum(k => k.Value)),
            problems, [.. _harnessErrors, .. faults.Errors], new Dictionary<string, TimeSpan>(_phases), _clock.Elapsed, logs,
            problems.IsEmpty && _harnessErrors.Count == 0 && faults.Errors.Count == 0 && flood.Accepted.Count == 0 ? "" : deployment.Tails(25));
    }

    /// <summary>The ticks: ledger time moves a step, fates strike, wallets refresh, one fault at a time is injected.</summary>
    private async Task<DateTimeOffset> ChaosPhaseAsync(HttpClient http, TowerDeployment deployment, ILedgerClient ledger, List<ChaosChannel> channels, FaultInjector faults, HostileFlood flood, CancellationToken ct)
    {
        // One fault at a time, the next 1–3 ticks after the previous one is over (its process back and ready);
        // the phase goes on past its ticks until every fault and outage was injected.
        var injected = 0;
        var nextFault = 2;
        var outages = _profile.Outages;
        var nextOutage = _profile.Ticks / 3;
        var nextRefresh = channels.ToDictionary(c => c.Index, c => c.LatestStart + RefreshInterval());
        var breaches = new List<Task>();
        var now = DateTimeOffset.MinValue;
        for (var tick = 1; tick <= _profile.Ticks || ((injected < _profile.Faults || outages > 0) && tick <= 4 * _profile.Ticks); tick++)
        {
            var started = Stopwatch.StartNew();
            now = await AdvanceAsync(http, deployment.Horizon, _profile.Step, ct).ConfigureAwait(false);
            foreach (var c in channels.Where(c => c.Fate == ChannelFate.Deadline && c.FateTick == tick))
            {
                c.Frozen = true;
            }

            foreach (var c in channels.Where(c => c.Fate == ChannelFate.Breach && c.FateTick <= tick && c.StaleRound is null))
            {
                // Bob cheats only once the tower holds Alice's latest round (else the honest balance is an older round's).
                c.Frozen = true;
                if (c.ReceiptedRound < c.LatestRound)
                {
                    continue;
                }

                if (outages > 0 && tick >= nextOutage)
                {
                    // The responders lose the ledger API as this breach lands (issue 10: ≈ 40 s dead-lettered the trigger).
                    // Ledger time stands still meanwhile (but for the network's own closes): 40 s of outage, not 40 ticks.
                    await faults.WhenIdleAsync().ConfigureAwait(false);
                    var at = now;
                    if (faults.TryOutage(OutageLength, () => BreachAsync(ledger, c, at, ct), ct))
                    {
                        await faults.WhenIdleAsync().ConfigureAwait(false);
                        outages--;
                        nextOutage = tick + Math.Max(1, _profile.Ticks / (3 * Math.Max(1, _profile.Outages)));
                        continue;
                    }
                }

                breaches.Add(BreachAsync(ledger, c, now, ct));
            }

            foreach (var c in channels.Where(c => !c.Frozen && now >= nextRefresh[c.Index]))
            {
                await PayAsync(c, now, ct).ConfigureAwait(false);
                nextRefresh[c.Index] = now + RefreshInterval();
            }

            if (tick > _profile.Ticks && outages > 0 && faults.Idle && faults.TryOutage(OutageLength, () => Task.CompletedTask, ct))
            {
                // No breach was left to pair it with: the API goes down all the same.
                await faults.WhenIdleAsync().ConfigureAwait(false);
                outages--;
            }

            if (injected < _profile.Faults && tick >= nextFault && faults.TryInject(ct))
            {
                injected++;
                nextFault = tick + 1 + _rng.Next(3);
            }

            if (tick % 6 == 0)
            {
                _log($"tick {tick}/{_profile.Ticks}, ledger {now:O}: {channels.Count(c => c.StaleRound is not null)} breaches, {channels.Count(c => c.Fate == ChannelFate.Deadline && c.Frozen)} stopped wallets, "
                    + $"faults {string.Join(", ", faults.Done.Select(f => $"{f.Key} {f.Value}"))}, hostile sent {flood.Sent}");
            }

            var rest = _profile.TickInterval - started.Elapsed;
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, ct).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(breaches).ConfigureAwait(false);
        if (injected < _profile.Faults)
        {
            _harnessErrors.Add($"only {injected} of {_profile.Faults} faults injected within {4 * _profile.Ticks} ticks");
        }

        await faults.WhenIdleAsync().ConfigureAwait(false);
        if (outages > 0)
        {
            _harnessErrors.Add($"{outages} ledger outages not injected");
        }

        foreach (var c in channels.Where(c => c.Fate == ChannelFate.Breach && c.StaleRound is null))
        {
            _harnessErrors.Add($"channel {c.Index}: breach never injected (Alice's latest round {c.LatestRound} never receipted; receipted {c.ReceiptedRound})");
        }

        return now;
    }

    /// <summary>Bob submits the stale ratchet that pays him most among those still valid.</summary>
    private async Task BreachAsync(ILedgerClient ledger, ChaosChannel c, DateTimeOffset now, CancellationToken ct)
    {
        var latest = c.LatestRound;
        var stale = c.BobSink.Bundles
            .Where(b => b.Round < latest && b.RoundStart <= now && b.RoundStart + ChaosChannel.Timeouts.TimeoutClaim > now + Slack)
            .OrderByDescending(b => c.Balances(b.Round)[1]).ThenByDescending(b => b.Round)
            .FirstOrDefault();
        if (stale is null)
        {
            lock (_harnessErrors)
            {
                _harnessErrors.Add($"channel {c.Index}: no stale ratchet still valid at {now:O}");
            }

            c.StaleRound = -1;
            return;
        }

        c.StaleRound = stale.Round;
        var outcome = await SubmitPatientlyAsync(ledger, stale.Ratchet, ct).ConfigureAwait(false);
        if (!outcome.Success)
        {
            lock (_harnessErrors)
            {
                _harnessErrors.Add($"channel {c.Index}: Bob's stale ratchet (round {stale.Round}) was refused: {outcome.ResultCodesText}");
            }
        }
    }

    /// <summary>Submits, trying again while the network answers 503 (another transaction of the source account is queued, or it is stalled).</summary>
    private static async Task<SubmitOutcome> SubmitPatientlyAsync(ILedgerClient ledger, TransactionEnvelope envelope, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ledger.SubmitAsync(envelope, ct).ConfigureAwait(false);
            }
            catch (LedgerClientException) when (attempt < 40)
            {
                await Task.Delay(250, ct).ConfigureAwait(false);
            }
        }
    }

    private void AssignFates(List<ChaosChannel> channels)
    {
        var lastBreach = _profile.Ticks - (int)Math.Ceiling((_profile.D + Slack) / _profile.Step);
        var lastStop = _profile.Ticks - (int)Math.Ceiling((ChaosChannel.Timeouts.TimeoutClaim + Slack) / _profile.Step);
        if (lastStop < 1 || _profile.Breaches + _profile.Deadlines > channels.Count)
        {
            throw new InvalidOperationException($"profile {_profile}: too few ticks or channels for its breaches and deadlines");
        }

        var order = channels.OrderBy(_ => _rng.Next()).ToList();
        foreach (var c in order.Take(_profile.Breaches))
        {
            c.Fate = ChannelFate.Breach;
            c.FateTick = _rng.Next(1, lastBreach + 1);
        }

        foreach (var c in order.Skip(_profile.Breaches).Take(_profile.Deadlines))
        {
            c.Fate = ChannelFate.Deadline;
            c.FateTick = _rng.Next(1, lastStop + 1);
        }
    }

    private TimeSpan RefreshInterval() => TimeSpan.FromHours(18 + _rng.Next(0, 12));

    /// <summary>One round: a random payment one way or the other, at ledger time <paramref name="now"/>.</summary>
    private async Task PayAsync(ChaosChannel c, DateTimeOffset now, CancellationToken ct)
    {
        var state = c.Group[0]!.State;
        var balances = LocalChannelGroup.NativeBalances(state);
        var from = balances[0] >= balances[1] ? 0 : 1;
        from = _rng.Next(4) == 0 ? 1 - from : from;
        var amount = Math.Max(1, (long)(balances[from] * _rng.NextDouble() * 0.3));
        if (balances[from] < amount)
        {
            from = 1 - from;
        }

        var error = await c.Group[from]!.ProposeAtAsync(LocalChannelGroup.Payment(c.Group[from]!.State, from, 1 - from, new Stroops(amount)), closing: false, now, ct).ConfigureAwait(false);
        await c.Group.PumpAtAsync(now, ct).ConfigureAwait(false);
        if (error is not null || c.Group[1]!.State.Latest!.Round != c.LatestRound)
        {
            throw new InvalidOperationException($"channel {c.Index}: a round failed: {error}");
        }

        c.RecordLatest();
    }

    private async Task FundAsync(TowerDeployment deployment, ILedgerClient ledger, List<ChaosChannel> channels, CancellationToken ct)
    {
        var creates = channels.SelectMany(c => new[]
        {
            new CreateAccountOperation(c.Funder.AccountId, Stroops.FromLumens(100)),
            new CreateAccountOperation(c.Alice.AccountId, ChaosChannel.WalletStart),
            new CreateAccountOperation(c.Bob.AccountId, ChaosChannel.WalletStart),
        }).ToList();
        foreach (var batch in creates.Chunk(100))
        {
            var root = (await ledger.LoadAccountAsync(deployment.Root.AccountId, ct).ConfigureAwait(false))!;
            var builder = new TransactionBuilder(deployment.Root.AccountId, root.Sequence);
            foreach (var op in batch)
            {
                builder = builder.AddOperation(op);
            }

            var outcome = await ledger.SubmitAsync(builder.BuildEnvelope().Sign(Network.Standalone, deployment.Root), ct).ConfigureAwait(false);
            if (!outcome.Success)
            {
                throw new InvalidOperationException("funding the accounts failed: " + outcome.ResultCodesText);
            }
        }
    }

    /// <summary>Opens every channel (setup, round 0, funding) a few at a time; round 0 goes to the tower at once.</summary>
    private static async Task OpenAsync(ILedgerClient ledger, List<ChaosChannel> channels, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(12);
        await Task.WhenAll(channels.Select(async c =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var participants = new[]
                {
                    LocalParticipant.Create(c.Alice, new Deposit(Asset.Native, new Stroops(c.Deposits[0]))),
                    LocalParticipant.Create(c.Bob, new Deposit(Asset.Native, new Stroops(c.Deposits[1]))),
                };
                c.Group = await LocalChannelGroup.OpenAsync(ledger, c.Funder, participants, ChaosChannel.Timeouts, 100,
                    _ => new Channels.Runtime.InMemoryChannelStore(), i => i == 0 ? c : c.BobSink, ct).ConfigureAwait(false);
                c.RecordLatest();
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
    }

    private static async Task AllIdleAsync(List<ChaosChannel> channels, TimeSpan limit, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(limit);
        try
        {
            await Task.WhenAll(channels.Select(c => c.Client.WhenIdleAsync(cts.Token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Judged later: a round without a receipt is reported as unreceipted.
        }
    }

    /// <summary>Polls <paramref name="done"/> over the channels not yet done, until all are or the limit passes.</summary>
    private async Task UntilAsync(List<ChaosChannel> channels, Func<ChaosChannel, Task<bool>> done, TimeSpan limit, string what, CancellationToken ct)
    {
        var pending = channels.ToList();
        var until = DateTimeOffset.UtcNow + limit;
        while (pending.Count > 0 && DateTimeOffset.UtcNow < until)
        {
            var checks = new List<(ChaosChannel Channel, bool Done)>();
            foreach (var chunk in pending.Chunk(16))
            {
                checks.AddRange(await Task.WhenAll(chunk.Select(async c => (c, await done(c).ConfigureAwait(false)))).ConfigureAwait(false));
            }

            pending = [.. checks.Where(x => !x.Done).Select(x => x.Channel)];
            if (pending.Count > 0)
            {
                await Task.Delay(500, ct).ConfigureAwait(false);
            }
        }

        if (pending.Count > 0)
        {
            _log($"{pending.Count} channels without {what} after {limit.TotalSeconds} s: {string.Join(", ", pending.Take(20).Select(c => c.Index))}");
        }
    }

    private static async Task<bool> RatchetLandedAsync(ILedgerClient ledger, ChaosChannel c, int participant, CancellationToken ct) =>
        await RatchetTimeAsync(ledger, c, participant, ct).ConfigureAwait(false) is not null;

    /// <summary>
    /// When participant <paramref name="participant"/>'s ratchet landed: all its ratchets share one
    /// sequence number of its version account, so once the account is at it, its sequence time is that ledger's close time.
    /// </summary>
    private static async Task<DateTimeOffset?> RatchetTimeAsync(ILedgerClient ledger, ChaosChannel c, int participant, CancellationToken ct)
    {
        var ratchet = participant == 0 ? c.Sent.Values.First().Bundle.Ratchet : c.BobSink.Bundles[0].Ratchet;
        var sequence = ((TransactionV1Envelope)ratchet).Transaction.Sequence;
        var account = await ledger.LoadAccountAsync(c.Parameters.Participants[participant].VersionAccount, ct).ConfigureAwait(false);
        return account is not null && account.Sequence.Value >= sequence.Value ? DateTimeOffset.FromUnixTimeSeconds(checked((long)account.SequenceTime)) : null;
    }

    private static async Task<ImmutableArray<long>> BalancesAsync(ILedgerClient ledger, ChaosChannel c, CancellationToken ct)
    {
        var alice = await ledger.LoadAccountAsync(c.Alice.AccountId, ct).ConfigureAwait(false);
        var bob = await ledger.LoadAccountAsync(c.Bob.AccountId, ct).ConfigureAwait(false);
        return [alice?.Balance.Value ?? -1, bob?.Balance.Value ?? -1];
    }

    /// <summary>The wallets' balances once the channel pays the receipted round: start − deposit + payout (the funder paid every fee).</summary>
    private static ImmutableArray<long> Expected(ChaosChannel c)
    {
        if (c.ReceiptedRound < 0)
        {
            return [-1, -1];
        }

        var payout = c.Balances(c.ReceiptedRound);
        return [ChaosChannel.WalletStart.Value - c.Deposits[0] + payout[0], ChaosChannel.WalletStart.Value - c.Deposits[1] + payout[1]];
    }

    private static async Task<ChannelOutcome> OutcomeAsync(ILedgerClient ledger, ChaosChannel c, CancellationToken ct)
    {
        var maxTime = c.ReceiptedRound >= 0 ? c.Sent[(ulong)c.ReceiptedRound].Bundle.RatchetTimeBounds.MaxTime : 0;
        return new ChannelOutcome(
            c.Index, c.Fate, c.LatestRound, c.ReceiptedRound, Expected(c), await BalancesAsync(ledger, c, ct).ConfigureAwait(false),
            c.StaleRound is >= 0 ? await RatchetTimeAsync(ledger, c, 1, ct).ConfigureAwait(false) : null,
            await RatchetTimeAsync(ledger, c, 0, ct).ConfigureAwait(false),
            DateTimeOffset.FromUnixTimeSeconds(checked((long)maxTime)));
    }

    /// <summary>Moves the network's clock forward and closes a ledger; returns that ledger's close time.</summary>
    private static async Task<DateTimeOffset> AdvanceAsync(HttpClient http, Uri horizon, TimeSpan by, CancellationToken ct)
    {
        using var response = await http.PostAsync(new Uri(horizon, $"admin/clock/advance?seconds={(long)by.TotalSeconds}"), null, ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
        var close = doc.RootElement.GetProperty("closeTime");
        return close.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeSeconds(close.GetInt64())
            : DateTimeOffset.Parse(close.GetString()!, CultureInfo.InvariantCulture);
    }

    private void Mark(string phase)
    {
        _phases[phase] = _clock.Elapsed;
        _log(phase);
    }
}
