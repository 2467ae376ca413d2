using System.Diagnostics;
using System.Globalization;
using Watchtower.Benchmarks.Tower.Harness;

namespace Watchtower.Benchmarks.Channels;

/// <summary>
/// `-- channel-rounds [--rounds N] [--warmup N]`: N consecutive payment rounds of one channel
/// between two participants with a receive loop each; prints completed rounds per second, the
/// per-round wall-clock percentiles, CPU per round and the load average, so a run on a busy
/// machine says so.
/// </summary>
internal static class ChannelRoundsRun
{
    public static int Run(BenchOptions options, TextWriter output)
    {
        var rounds = options.Int("rounds", 20_000);
        var warmup = options.Int("warmup", 2_000);
        using var pair = new ChannelPair();
        for (var i = 0; i < warmup; i++)
        {
            pair.Pay();
        }

        var loadBefore = Machine.LoadAverage();
        var took = new long[rounds];
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < rounds; i++)
        {
            var t = Stopwatch.GetTimestamp();
            pair.Pay();
            took[i] = Stopwatch.GetTimestamp() - t;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Array.Sort(took);
        double Micros(double q) => took[Math.Min(rounds - 1, (int)(q * rounds))] * 1e6 / Stopwatch.Frequency;
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Format(c, "rounds {0:N0} in {1:F2} s: {2:N0} completed rounds/s", rounds, elapsed.TotalSeconds, rounds / elapsed.TotalSeconds));
        output.WriteLine(string.Format(c, "per round wall clock: p50 {0:F0} µs, p90 {1:F0} µs, p99 {2:F0} µs", Micros(0.5), Micros(0.9), Micros(0.99)));
        output.WriteLine(string.Format(c, "CPU per round (both participants): {0:F0} µs; {1} cores", cpu.TotalMicroseconds / rounds, Environment.ProcessorCount));
        output.WriteLine($"load average before {loadBefore}, after {Machine.LoadAverage()}");
        return 0;
    }
}
