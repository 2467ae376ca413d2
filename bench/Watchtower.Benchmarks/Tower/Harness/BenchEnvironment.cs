using System.Globalization;
using StackExchange.Redis;

namespace Watchtower.Benchmarks.Tower.Harness;

/// <summary>Command-line options of the harness modes: <c>--name value</c> pairs.</summary>
internal sealed class BenchOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public BenchOptions(IEnumerable<string> args)
    {
        string? name = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (name is not null)
                {
                    _values[name] = "true";
                }
                name = arg[2..];
            }
            else if (name is not null)
            {
                _values[name] = arg;
                name = null;
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }
        }
        if (name is not null)
        {
            _values[name] = "true";
        }
    }

    public string Text(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public string Redis => _values.GetValueOrDefault("redis") ?? Environment.GetEnvironmentVariable("WATCHTOWER_TEST_REDIS")
        ?? throw new InvalidOperationException("give --redis host:port (or set WATCHTOWER_TEST_REDIS)");

    public Uri RabbitMq => new(_values.GetValueOrDefault("rabbitmq") ?? Environment.GetEnvironmentVariable("WATCHTOWER_TEST_RABBITMQ")
        ?? throw new InvalidOperationException("give --rabbitmq amqp://user:pass@host:port/ (or set WATCHTOWER_TEST_RABBITMQ)"));

    /// <summary>Processes whose CPU time is reported beside ours (e.g. redis-server, the RabbitMQ node).</summary>
    public IReadOnlyList<int> WatchedPids => Text("pids", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
}

/// <summary>What a figure was measured under: load average and CPU time of this and the server processes.</summary>
internal static class Machine
{
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>CPU seconds (user + system) a process has used, from /proc/&lt;pid&gt;/stat; 0 when it is gone.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static double OwnCpuSeconds() => ProcessCpuClock.Instance.GetTimestamp() / 1e9;

    /// <summary>CPU seconds of this process and of each watched one, read together.</summary>
    public static double[] CpuSnapshot(IReadOnlyList<int> pids) => [OwnCpuSeconds(), .. pids.Select(CpuSeconds)];

    /// <summary>This process's GC work so far: collections by generation, pause time, bytes allocated.</summary>
    public static (int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated) GcSnapshot() =>
        (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    public static string GcReport((int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated) before,
        (int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated) after, int items) =>
        FormattableString.Invariant(
            $"GC ({(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}): {after.Gen0 - before.Gen0} gen0, {after.Gen1 - before.Gen1} gen1, {after.Gen2 - before.Gen2} gen2 collections, paused {(after.Paused - before.Paused).TotalSeconds:F2} s, allocated {(after.Allocated - before.Allocated) / (double)items / 1024:F1} KB per item");

    public static string CpuReport(double[] before, double[] after, IReadOnlyList<int> pids, double wallSeconds, int items)
    {
        var parts = new List<string>();
        for (var i = 0; i < before.Length; i++)
        {
            var used = after[i] - before[i];
            var who = i == 0 ? "bench+tower process" : $"pid {pids[i - 1]} ({ProcessName(pids[i - 1])})";
            parts.Add(FormattableString.Invariant($"{who}: {used:F1} s CPU ({used / wallSeconds:F2} cores, {used * 1e6 / items:F0} µs per item)"));
        }
        return string.Join("\n  ", parts);
    }

    private static string ProcessName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "gone";
        }
    }
}

/// <summary>Redis memory as the server accounts it.</summary>
internal static class RedisMemory
{
    public static async Task<long> UsedMemoryAsync(IConnectionMultiplexer redis)
    {
        var info = await redis.GetServer(redis.GetEndPoints()[0]).InfoAsync("memory");
        return long.Parse(info.SelectMany(g => g).First(p => p.Key == "used_memory").Value, CultureInfo.InvariantCulture);
    }

    /// <summary>MEMORY USAGE of one key, every element counted (SAMPLES 0); 0 when absent.</summary>
    public static async Task<long> KeyUsageAsync(IDatabase db, RedisKey key)
    {
        var result = await db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        return result.IsNull ? 0 : (long)result;
    }
}
