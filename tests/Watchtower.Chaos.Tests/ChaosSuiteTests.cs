using Xunit;
using Xunit.Abstractions;

namespace Watchtower.Chaos.Tests;

/// <summary>
/// The chaos suite (profile from WATCHTOWER_CHAOS_PROFILE, seed from WATCHTOWER_CHAOS_SEED): the
/// tower's roles as separate processes against real engines, channels uploading real bundles,
/// breaches and deadlines at random ledgers under process kills, ledger stalls, engine failover
/// (clustered engines only) and a flood of hostile uploads. Passes with 0 late, 0 lost.
/// </summary>
public sealed class ChaosSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryBreachAndDeadlineIsAnsweredInTime_AndEveryReceiptedRoundIsPaid_UnderFaultsAndAHostileFlood()
    {
        var profile = ChaosProfile.FromEnvironment();
        var seed = ChaosProfile.Seed();
        using var cts = new CancellationTokenSource(profile.Budget * 3);
        var report = await ChaosRun.RunAsync(profile, seed, ChaosServers.FromEnvironment(), Log, cts.Token);
        var text = report.ToText();
        Log(text);
        await File.WriteAllTextAsync(Path.Combine(report.LogDirectory, "report.txt"), text);
        if (Environment.GetEnvironmentVariable("WATCHTOWER_CHAOS_REPORT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, text);
        }

        Assert.True(report.Failures.IsEmpty, text);
        Assert.True(report.HostileSent >= profile.HostileUploads, text);
    }

    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }
}
