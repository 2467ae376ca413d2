using System.Diagnostics;
using Xunit;

namespace Watchtower.Tower.Tests.Cluster;

/// <summary>
/// The tests that stop RabbitMQ nodes or kill the Redis primary: run one at a time and after
/// every other test of the assembly (no parallel test may see a node disappear).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusteredEngines
{
    public const string Name = "clustered engines";
}

/// <summary>The command-line tools of the clustered engines (rabbitmqctl, redis-server), and waiting on them.</summary>
internal static class ClusterTools
{
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
    }

    public static Task<string> RabbitMqCtlAsync(string node, params string[] args) => RunAsync("rabbitmqctl", ["-q", "-n", node, .. args]);

    /// <summary>
    /// Polls until <paramref name="condition"/> holds, within <paramref name="limit"/> of wall time:
    /// the servers' own failover timers run on it, not on the tests' clock.
    /// </summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        do
        {
            try
            {
                if (await condition())
                {
                    return true;
                }
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or InvalidOperationException)
            {
                // Not there yet (reconnecting, electing): ask again.
            }
            await Task.Delay(200);
        }
        while (watch.Elapsed < limit);
        return false;
    }

    public static void AssertWithin(bool done, string what) => Assert.True(done, $"not within the time limit: {what}");
}
