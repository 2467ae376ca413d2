using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tailing;
using IChannelStore = Watchtower.Tower.Storage.IChannelStore;

namespace Watchtower.Benchmarks.Tower.Harness;

/// <summary>
/// <c>tower-latency</c>: ledger close → countering ratchet submitted. A standalone network (HTTP,
/// Horizon API, a ledger closed on every submission) carries <c>--channels</c> two-party channels
/// opened by the channel library's wallets; Alice uploads her latest round (1) to the tower and
/// goes offline, then Bob submits his stale round-0 ratchet. The tower (tail + respond, as the
/// service runs it) must submit Alice's round-1 ratchet. Optionally the tower also watches the
/// channels already stored under <c>--prefix</c> (e.g. 100,000 from a tower-ingest run).
/// The close of Bob's ledger happens while his submission is in flight, so each latency is
/// given from both ends of that call: from its start (an upper bound, used for the target) and
/// from its answer (a lower bound).
/// </summary>
internal static class LatencyBench
{
    public static async Task<int> RunAsync(BenchOptions options, TextWriter log)
    {
        var measured = options.Int("channels", 100);
        // The first breaches JIT-compile the responder path; a running tower has done that long ago.
        var warmup = options.Int("warmup", 3);
        var channels = measured + warmup;
        var spacing = TimeSpan.FromMilliseconds(options.Int("spacing-ms", 300));
        var burst = options.Text("burst", "false") == "true";
        var prefix = options.Text("prefix", $"lat{DateTime.UtcNow:HHmmss}");

        await using var network = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, TimeProvider.System, default);
        using var http = new HttpClient();
        var ledger = LedgerClientFactory.Create(new LedgerClientOptions
        {
            Url = network.HorizonUri,
            NetworkPassphrase = network.Network.Passphrase,
            PollInterval = TimeSpan.FromMilliseconds(20),
        }, http, TimeProvider.System);

        var opened = Stopwatch.StartNew();
        var rigs = new List<ChannelRig>(channels);
        for (var i = 0; i < channels; i++)
        {
            rigs.Add(await ChannelRig.OpenAsync(network, ledger));
        }
        log.WriteLine(FormattableString.Invariant($"latency: opened {channels} channels on the standalone network in {opened.Elapsed.TotalSeconds:F1} s"));

        using var sealing = TowerSealingKey.Generate();
        // --inclusion-delay-ms: the tower's submissions answer only after this long, as Horizon answers
        // at inclusion on a network closing every few seconds (this standalone closes at once).
        var submissions = new SubmissionClock(TimeSpan.FromMilliseconds(options.Int("inclusion-delay-ms", 0)));
        var latest = await ledger.GetLatestLedgerAsync(default);
        var settings = new Dictionary<string, string?>
        {
            ["Ledger:PollInterval"] = options.Text("poll", "00:00:00.050"),
            ["Tower:Tailer:StartAfterLedger"] = latest.Sequence.ToString(CultureInfo.InvariantCulture),
        };
        if (options.Text("concurrency", "") is { Length: > 0 } concurrency)
        {
            // Otherwise the service's default (Tower:Responder:Concurrency).
            settings["Tower:Responder:Concurrency"] = concurrency;
        }
        using var host = await TowerProcess.StartAsync(options, network, "Tail, Respond", prefix, KeyPair.Random(), sealing.ExportPrivateKey(),
            settings, services => submissions.Decorate(services));

        // Alice's latest round goes to the tower through the ingestion pipeline, then she goes offline.
        var ingestor = host.Services.GetRequiredService<BundleIngestor>();
        var store = host.Services.GetRequiredService<IChannelStore>();
        foreach (var rig in rigs)
        {
            var identity = KeyPair.Random();
            var subscription = new Subscription(Guid.NewGuid(), identity.AccountId, 10, 1 << 20, DateTimeOffset.UtcNow.AddDays(30));
            await store.PutSubscriptionAsync(subscription, default);
            var bundle = rig.Sinks[0].Bundles[^1].ToTowerBundle()!;
            if (await ingestor.IngestAsync(subscription.Id, BundleSealer.Seal(bundle, sealing.PublicKey, identity).ToArray(), default) is IngestResult.Rejected r)
            {
                throw new InvalidOperationException($"upload refused: {r.Reason} {r.Detail}");
            }
            rig.Group.Disconnect(0);
        }

        var watched = await store.CountChannelsAsync(default);
        await WaitSyncedAsync(network, host.Services.GetRequiredService<TailerStatus>(), host.Services.GetRequiredService<WatchedIndex>(), rigs);
        log.WriteLine($"latency: tower synced, {watched} channels watched, {(burst ? "all stale ratchets at once" : $"one stale ratchet every {spacing.TotalMilliseconds} ms")}, load average {Machine.LoadAverage()}");

        var breaches = new (long Start, long Answered)[channels];
        async Task BreachAsync(int i)
        {
            var start = Stopwatch.GetTimestamp();
            var stale = await ledger.SubmitAsync(rigs[i].Sinks[1].Bundles.First(b => b.Round == 0).Ratchet, default);
            breaches[i] = (start, Stopwatch.GetTimestamp());
            if (!stale.Success)
            {
                throw new InvalidOperationException($"the stale ratchet failed: {stale.ResultCodesText}");
            }
        }
        for (var i = 0; i < warmup; i++)
        {
            await BreachAsync(i);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        var cpuBefore = Machine.CpuSnapshot(options.WatchedPids);
        var run = Stopwatch.StartNew();
        if (burst)
        {
            await Task.WhenAll(Enumerable.Range(warmup, measured).Select(BreachAsync));
        }
        else
        {
            for (var i = warmup; i < channels; i++)
            {
                await BreachAsync(i);
                await Task.Delay(spacing);
            }
        }

        var countered = new long[channels];
        var deadline = Stopwatch.StartNew();
        for (var i = 0; i < channels; i++)
        {
            long at;
            while (!submissions.TryGet(rigs[i].AliceVersion, out at) && deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(10);
            }
            countered[i] = submissions.TryGet(rigs[i].AliceVersion, out at) ? at : 0;
        }
        var cpuAfter = Machine.CpuSnapshot(options.WatchedPids);
        var missing = countered.Count(c => c == 0);
        var warm = Enumerable.Range(0, warmup).Where(i => countered[i] != 0)
            .Select(i => Stopwatch.GetElapsedTime(breaches[i].Start, countered[i]).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture));
        var scored = Enumerable.Range(warmup, measured).Where(i => countered[i] != 0).ToArray();
        var upper = scored.Select(i => Stopwatch.GetElapsedTime(breaches[i].Start, countered[i]).TotalMilliseconds).Order().ToArray();
        var lower = scored.Select(i => Stopwatch.GetElapsedTime(breaches[i].Answered, countered[i]).TotalMilliseconds).Order().ToArray();
        var staleCall = scored.Select(i => Stopwatch.GetElapsedTime(breaches[i].Start, breaches[i].Answered).TotalMilliseconds).Order().ToArray();
        log.WriteLine(FormattableString.Invariant(
            $"latency: {upper.Length} of {measured} breaches countered ({missing} not within 120 s, warm-up included); warm-up breaches (not scored) {string.Join(", ", warm)} ms; load average after {Machine.LoadAverage()}"));
        log.WriteLine(FormattableString.Invariant(
            $"latency: close → counter submitted, from the stale submission's start (upper bound): p50 {Percentile(upper, 0.5):F1} ms, p90 {Percentile(upper, 0.9):F1} ms, p99 {Percentile(upper, 0.99):F1} ms, max {upper.LastOrDefault():F1} ms"));
        log.WriteLine(FormattableString.Invariant(
            $"latency: from its answer (lower bound): p50 {Percentile(lower, 0.5):F1} ms, p99 {Percentile(lower, 0.99):F1} ms; the stale submission call itself: p50 {Percentile(staleCall, 0.5):F1} ms, p99 {Percentile(staleCall, 0.99):F1} ms"));
        var metrics = host.Services.GetRequiredService<TowerMetrics>();
        log.WriteLine(FormattableString.Invariant(
            $"latency: watchtower_reaction_latency_seconds: {metrics.ReactionLatency.Count} observations, mean {metrics.ReactionLatency.Sum / Math.Max(1, metrics.ReactionLatency.Count) * 1000:F0} ms"));
        log.WriteLine("latency CPU:\n  " + Machine.CpuReport(cpuBefore, cpuAfter, options.WatchedPids, run.Elapsed.TotalSeconds, measured));
        await host.StopAsync();
        return missing == 0 ? 0 : 1;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>
    /// Closes empty ledgers until the tailer leads, is synced and its index knows every channel's
    /// escrow (the index catches up with the store at each ledger).
    /// </summary>
    private static async Task WaitSyncedAsync(StandaloneServer network, TailerStatus status, WatchedIndex index, List<ChannelRig> rigs)
    {
        var deadline = Stopwatch.StartNew();
        while (status.Current.State != TailerState.Synced || !rigs.All(r => index.IsWatched(r.Escrow)))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(300))
            {
                throw new TimeoutException($"the tower did not sync: {status.Current}");
            }
            await network.CloseLedgerAsync();
            await Task.Delay(500);
        }
        // One more quiet ledger so that nothing from the set-up is still in flight.
        await network.CloseLedgerAsync();
        await Task.Delay(1000);
    }

    /// <summary>One channel on the network: Alice (0) 500 / Bob (1) 500 after round 1, Bob's round 0 stale.</summary>
    private sealed record ChannelRig(LocalChannelGroup Group, RecordingBundleSink[] Sinks)
    {
        public AccountId AliceVersion => Group.Parameters.Participants[0].VersionAccount;

        public AccountId Escrow => Group.Parameters.Escrow;

        public static async Task<ChannelRig> OpenAsync(StandaloneServer network, ILedgerClient ledger)
        {
            var funder = KeyPair.Random();
            KeyPair[] wallets = [KeyPair.Random(), KeyPair.Random()];
            var root = (await ledger.LoadAccountAsync(network.Root.AccountId, default))!;
            var create = new TransactionBuilder(network.Root.AccountId, root.Sequence)
                .AddOperation(new CreateAccountOperation(funder.AccountId, Stroops.FromLumens(100)))
                .AddOperation(new CreateAccountOperation(wallets[0].AccountId, Stroops.FromLumens(1000)))
                .AddOperation(new CreateAccountOperation(wallets[1].AccountId, Stroops.FromLumens(1000)));
            var created = await ledger.SubmitAsync(create.BuildEnvelope().Sign(network.Network, network.Root), default);
            if (!created.Success)
            {
                throw new InvalidOperationException($"creating the accounts failed: {created.ResultCodesText}");
            }

            RecordingBundleSink[] sinks = [new(), new()];
            var participants = new[] { 250L, 750L }
                .Select((l, i) => LocalParticipant.Create(wallets[i], new Deposit(Asset.Native, Stroops.FromLumens(l)))).ToList();
            var group = await LocalChannelGroup.OpenAsync(ledger, funder, participants, BundleSet.Timeouts, 100,
                _ => new Watchtower.Channels.Runtime.InMemoryChannelStore(), i => sinks[i], default);
            if (await group.PayAsync(1, 0, Stroops.FromLumens(250), default) is { } error)
            {
                throw new InvalidOperationException($"round 1 failed: {error}");
            }
            return new ChannelRig(group, sinks);
        }
    }

    /// <summary>Wraps the tower's ledger client to note when each transaction source is first submitted.</summary>
    private sealed class SubmissionClock(TimeSpan inclusionDelay)
    {
        private readonly ConcurrentDictionary<AccountId, long> _first = new();

        public TimeSpan InclusionDelay => inclusionDelay;

        public bool TryGet(AccountId source, out long timestamp) => _first.TryGetValue(source, out timestamp);

        public void Decorate(IServiceCollection services)
        {
            var original = services.Last(d => d.ServiceType == typeof(ILedgerClient));
            services.Remove(original);
            services.AddSingleton<ILedgerClient>(sp => new Timed((ILedgerClient)original.ImplementationFactory!(sp), this));
        }

        private sealed class Timed(ILedgerClient inner, SubmissionClock clock) : ILedgerClient
        {
            public async Task<SubmitOutcome> SubmitAsync(TransactionEnvelope envelope, CancellationToken ct)
            {
                var source = envelope switch
                {
                    TransactionV1Envelope v1 => v1.Transaction.Source.Account,
                    FeeBumpEnvelope bump => bump.FeeBump.InnerTransaction.Source.Account,
                    _ => (AccountId?)null,
                };
                if (source is { } s)
                {
                    clock._first.TryAdd(s, Stopwatch.GetTimestamp());
                }
                var outcome = await inner.SubmitAsync(envelope, ct);
                if (clock.InclusionDelay > TimeSpan.Zero)
                {
                    await Task.Delay(clock.InclusionDelay, ct);
                }
                return outcome;
            }

            public Task<Network> GetNetworkAsync(CancellationToken ct) => inner.GetNetworkAsync(ct);

            public Task<AccountSnapshot?> LoadAccountAsync(AccountId id, CancellationToken ct) => inner.LoadAccountAsync(id, ct);

            public Task<LedgerHeaderInfo> GetLatestLedgerAsync(CancellationToken ct) => inner.GetLatestLedgerAsync(ct);

            public Task<FeeStatsInfo> GetFeeStatsAsync(CancellationToken ct) => inner.GetFeeStatsAsync(ct);

            public IAsyncEnumerable<ClosedLedger> StreamLedgersAsync(uint afterLedger, CancellationToken ct) => inner.StreamLedgersAsync(afterLedger, ct);
        }
    }
}
