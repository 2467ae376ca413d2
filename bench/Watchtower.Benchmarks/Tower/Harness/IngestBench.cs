using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Standalone;
using Watchtower.Stellar;
using Watchtower.Tower.Ingestion;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;

namespace Watchtower.Benchmarks.Tower.Harness;

/// <summary>
/// <c>tower-ingest</c>: N sealed two-party bundles uploaded by wallets (request/response over
/// RabbitMQ, durable queue, publisher confirms) into the tower's ingestion consumers, which
/// authenticate, open, validate and store them in Redis before answering. Bundles/s is measured
/// from the first publish to the last answer (an answer is sent only after Redis has the bundle),
/// with at most <c>--window</c> uploads in flight. Then Redis memory per stored channel.
/// </summary>
internal static class IngestBench
{
    public static async Task<int> RunAsync(BenchOptions options, TextWriter log)
    {
        var count = options.Int("count", 20_000);
        var window = options.Int("window", 1_000);
        var prefix = options.Text("prefix", $"bench{DateTime.UtcNow:HHmmss}");
        using var bundles = BundleSet.LoadOrGenerate(options.Text("cache", $"/tmp/towerbench-bundles-{count}.bin"), count,
            options.Int("wallets", 100), Network.Standalone, log);

        await using var network = await StandaloneServer.StartAsync(new StandaloneOptions(), TimeProvider.System, default);
        var sealingKey = bundles.SealingKey.ExportPrivateKey();
        var subscriptions = bundles.Wallets.Select(w => new Subscription(Guid.NewGuid(), w.AccountId, int.MaxValue, long.MaxValue,
            DateTimeOffset.UtcNow.AddYears(1))).ToArray();
        var mode = options.Text("mode", "concurrent");
        var preload = mode == "backlog";
        using var redis = await ConnectionMultiplexer.ConnectAsync(options.Redis + ",allowAdmin=true");
        // The operator's registrations, written before any upload can arrive.
        var store = new RedisChannelStore(redis, prefix);
        foreach (var subscription in subscriptions)
        {
            await store.PutSubscriptionAsync(subscription, default);
        }
        if (preload)
        {
            await PreloadAsync(options, network, prefix, sealingKey, bundles, subscriptions, log);
        }

        var memoryBefore = await RedisMemory.UsedMemoryAsync(redis);
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var cpuBefore = Machine.CpuSnapshot(options.WatchedPids);
        var gcBefore = Machine.GcSnapshot();
        // In backlog mode the consumers start draining during StartAsync, so the clock runs from
        // before it: the figure includes the host's start (about a second).
        var watch = Stopwatch.StartNew();
        using var host = await TowerProcess.StartAsync(options, network, "Ingest", prefix, KeyPair.Random(), sealingKey, new Dictionary<string, string?>());
        if (preload)
        {
            log.WriteLine($"ingest: draining a backlog of {count} uploads, prefix {prefix}, load average {Machine.LoadAverage()}");
            while (await store.CountChannelsAsync(default) < count)
            {
                await Task.Delay(20);
            }
            outcomes["stored"] = count;
        }
        else if (mode == "direct")
        {
            // The pipeline without the broker: BundleIngestor called in process, <window> at a time.
            log.WriteLine($"ingest: {count} bundles straight into BundleIngestor (no broker), {window} at a time, load average {Machine.LoadAverage()}");
            var ingestor = host.Services.GetRequiredService<BundleIngestor>();
            watch.Restart();
            cpuBefore = Machine.CpuSnapshot(options.WatchedPids);
            gcBefore = Machine.GcSnapshot();
            await Parallel.ForEachAsync(bundles.Uploads, new ParallelOptions { MaxDegreeOfParallelism = window }, async (upload, ct) =>
            {
                var result = await ingestor.IngestAsync(subscriptions[upload.Wallet].Id, upload.Sealed, ct);
                var outcome = result is IngestResult.Rejected r ? "rejected:" + r.Reason.ToLabel() : "accepted";
                outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
            });
        }
        else
        {
            log.WriteLine($"ingest: {count} bundles, window {window}, prefix {prefix}, load average {Machine.LoadAverage()}");
            watch.Restart();
            cpuBefore = Machine.CpuSnapshot(options.WatchedPids);
            gcBefore = Machine.GcSnapshot();
            var client = host.Services.GetRequiredService<IBus>().CreateRequestClient<UploadBundle>(UploadQueue(prefix), RequestTimeout.After(m: 10));
            using var gate = new SemaphoreSlim(window);
            var pending = new List<Task>(count);
            foreach (var upload in bundles.Uploads)
            {
                await gate.WaitAsync();
                pending.Add(UploadAsync(client, subscriptions[upload.Wallet].Id, upload.Sealed, outcomes, gate));
            }
            await Task.WhenAll(pending);
        }
        var elapsed = watch.Elapsed.TotalSeconds;
        var cpuAfter = Machine.CpuSnapshot(options.WatchedPids);
        var gcAfter = Machine.GcSnapshot();
        var load = Machine.LoadAverage();

        var metrics = host.Services.GetRequiredService<TowerMetrics>();
        var stored = await store.CountChannelsAsync(default);
        log.WriteLine(FormattableString.Invariant(
            $"ingest: {count} uploads answered in {elapsed:F2} s = {count / elapsed:F0} bundles/s; outcomes {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}; channels in the store {stored}"));
        log.WriteLine(FormattableString.Invariant(
            $"ingest: tower pipeline (receive → stored) mean {metrics.IngestDuration.Sum / metrics.IngestDuration.Count * 1000:F2} ms over {metrics.IngestDuration.Count} attempts; load average after {load}"));
        log.WriteLine("ingest CPU:\n  " + Machine.CpuReport(cpuBefore, cpuAfter, options.WatchedPids, elapsed, count));
        log.WriteLine("ingest " + Machine.GcReport(gcBefore, gcAfter, count));

        await ReportMemoryAsync(redis, store, prefix, bundles, subscriptions, memoryBefore, stored, log);
        await host.StopAsync();
        return stored == count ? 0 : 1;
    }

    private static Uri UploadQueue(string prefix) => new($"queue:{TowerQueues.UploadBundle(prefix)}");

    /// <summary>
    /// Queues every upload while no ingestion consumer runs (a process with the responder role only
    /// sends them), so the tower's own rate can be timed apart from the wallets' publishing cost.
    /// Answers go to a queue nobody reads, as the replies of wallets that went away would.
    /// </summary>
    private static async Task PreloadAsync(BenchOptions options, StandaloneServer network, string prefix, byte[] sealingKey,
        BundleSet bundles, Subscription[] subscriptions, TextWriter log)
    {
        using var sender = await TowerProcess.StartAsync(options, network, "Respond", prefix, KeyPair.Random(), sealingKey, new Dictionary<string, string?>());
        var endpoint = await sender.Services.GetRequiredService<IBus>().GetSendEndpoint(UploadQueue(prefix));
        var replies = new Uri($"queue:{prefix}-bench-replies");
        var watch = Stopwatch.StartNew();
        var pending = new List<Task>(bundles.Uploads.Length);
        foreach (var upload in bundles.Uploads)
        {
            pending.Add(endpoint.Send(new UploadBundle(subscriptions[upload.Wallet].Id, upload.Sealed), c => c.ResponseAddress = replies));
            if (pending.Count == 1_000)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
        log.WriteLine(FormattableString.Invariant($"ingest: queued {bundles.Uploads.Length} uploads (durable, confirmed) in {watch.Elapsed.TotalSeconds:F1} s"));
        await sender.StopAsync();
    }

    private static async Task UploadAsync(IRequestClient<UploadBundle> client, Guid subscription, byte[] sealedBundle,
        ConcurrentDictionary<string, int> outcomes, SemaphoreSlim gate)
    {
        try
        {
            var response = await client.GetResponse<BundleAccepted, BundleRejected>(new UploadBundle(subscription, sealedBundle));
            var outcome = response.Is(out Response<BundleRejected>? rejected) ? "rejected:" + rejected!.Message.Reason.ToLabel() : "accepted";
            outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        }
        catch (RequestTimeoutException)
        {
            outcomes.AddOrUpdate("timeout", 1, (_, n) => n + 1);
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task ReportMemoryAsync(IConnectionMultiplexer redis, RedisChannelStore store, string prefix, BundleSet bundles,
        Subscription[] subscriptions, long memoryBefore, long stored, TextWriter log)
    {
        var db = redis.GetDatabase();
        var memoryAfter = await RedisMemory.UsedMemoryAsync(redis);
        var sealedMean = bundles.Uploads.Average(u => (double)u.Sealed.Length);
        var perChannel = (memoryAfter - memoryBefore) / (double)stored;
        log.WriteLine(FormattableString.Invariant(
            $"memory: INFO used_memory {memoryBefore:N0} → {memoryAfter:N0} B: {perChannel:F0} B per channel over {stored} channels (sealed bundle {sealedMean:F0} B, so {perChannel - sealedMean:F0} B beyond it)"));

        // Where it goes: every record of a sample, and every shared structure in full.
        var sample = bundles.Uploads.Take(2_000).Select(u => store.RecordKey(SealedBundle.Parse(u.Sealed).ChannelId)).ToArray();
        long records = 0;
        foreach (var key in sample)
        {
            records += await RedisMemory.KeyUsageAsync(db, key);
        }
        var parts = new List<(string Name, double PerChannel)> { ("channel record (string key, incl. sealed bundle)", records / (double)sample.Length) };
        foreach (var name in new[] { "acct", "ver", "deadline", "followup", "changes" })
        {
            parts.Add(($"{{ix}}:{name}", await RedisMemory.KeyUsageAsync(db, $"{prefix}:{{ix}}:{name}") / (double)stored));
        }
        long usage = 0;
        foreach (var subscription in subscriptions)
        {
            usage += await RedisMemory.KeyUsageAsync(db, $"{prefix}:{{sub:{subscription.Id:N}}}:usage");
        }
        parts.Add(($"{{sub}}:usage ({subscriptions.Length} subscriptions)", usage / (double)stored));
        foreach (var (name, bytes) in parts)
        {
            log.WriteLine(FormattableString.Invariant($"memory:   {name}: {bytes:F0} B per channel"));
        }
        log.WriteLine(FormattableString.Invariant($"memory:   sum of the parts {parts.Sum(p => p.PerChannel):F0} B per channel (MEMORY USAGE, SAMPLES 0)"));
    }
}
