using System.Diagnostics;
using System.Runtime.InteropServices;
using Watchtower.Contracts;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;

namespace Watchtower.Benchmarks.Tower.Harness;

/// <summary>
/// <c>tower-stages</c>: the CPU cost of each step of the ingestion pipeline on one thread, over the
/// same sealed bundles the ingest run uploads (no broker, no Redis): the part of a bundle's cost
/// that is the tower's own computation, against which the end-to-end CPU per bundle is compared.
/// </summary>
internal static partial class StagesBench
{
    public static int Run(BenchOptions options, TextWriter log)
    {
        var count = options.Int("count", 2_000);
        using var bundles = BundleSet.LoadOrGenerate(options.Text("cache", $"/tmp/towerbench-bundles-{count}.bin"), count,
            options.Int("wallets", 100), Network.Standalone, log);
        var receiptKey = KeyPair.Random();
        var subscription = Guid.NewGuid();
        string[] names = ["parse envelope", "wallet signature (1 verify)", "open (X25519 + HKDF + AEAD + decode)",
            "validate (decode, hashes, signatures)", "receipt (hash + sign)", "record encode"];
        var cpu = new double[names.Length];
        var wall = new double[names.Length];

        // Two passes: the first warms up (JIT, tiering), the second is measured.
        for (var pass = 0; pass < 2; pass++)
        {
            Array.Clear(cpu);
            Array.Clear(wall);
            foreach (var upload in bundles.Uploads)
            {
                var sealedBundle = Step(0, () => SealedBundle.Parse(upload.Sealed));
                Step(1, () => sealedBundle.IsSignedBy(bundles.Wallets[upload.Wallet].AccountId) ? 1 : throw new InvalidOperationException("bad signature"));
                var bundle = Step(2, () => BundleSealer.Open(sealedBundle, bundles.SealingKey));
                Step(3, () =>
                {
                    BundleChecks.Validate(bundle, Network.Standalone);
                    return 0;
                });
                var receipt = Step(4, () => BundleReceipt.Issue(receiptKey, bundle.ChannelId, bundle.Round, sealedBundle.Hash, 7));
                Step(5, () => ChannelRecordCodec.Encode(ChannelMetadata.Of(bundle, subscription), receipt, upload.Sealed).Length);
            }
        }

        log.WriteLine($"stages: {count} bundles, one thread, load average {Machine.LoadAverage()}");
        for (var i = 0; i < names.Length; i++)
        {
            log.WriteLine(FormattableString.Invariant($"stages:   {names[i],-40} {cpu[i] * 1e6 / count,8:F1} µs CPU {wall[i] * 1e6 / count,8:F1} µs wall"));
        }
        log.WriteLine(FormattableString.Invariant($"stages:   {"total",-40} {cpu.Sum() * 1e6 / count,8:F1} µs CPU {wall.Sum() * 1e6 / count,8:F1} µs wall = {count / cpu.Sum():F0} bundles/s per core"));
        return 0;

        T Step<T>(int stage, Func<T> work)
        {
            var c0 = ThreadCpuSeconds();
            var w0 = Stopwatch.GetTimestamp();
            var result = work();
            wall[stage] += Stopwatch.GetElapsedTime(w0).TotalSeconds;
            cpu[stage] += ThreadCpuSeconds() - c0;
            return result;
        }
    }

    private static double ThreadCpuSeconds()
    {
        // CLOCK_THREAD_CPUTIME_ID: only this thread's cycles, whatever else the machine runs.
        if (clock_gettime(3, out var ts) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        }
        return ts.Seconds + (ts.Nanoseconds / 1e9);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int clock_gettime(int clockId, out TimeSpec time);
}
