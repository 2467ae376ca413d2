using System.CommandLine;
using Watchtower.Cli.Commands;
using Watchtower.Demo;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace Watchtower.Cli.Tests;

/// <summary>
/// The demo's stories run in-process, end to end: standalone network, tower, wallets. The expected
/// balances are worked out here from the script's deposits and payments, and compared with what
/// the demo read back from the ledger. One class, so the demos never compete for the two cores.
/// </summary>
public class DemoTests(ITestOutputHelper log)
{
    private static readonly Stroops Start = Stroops.FromLumens(1000);

    [Fact]
    public async Task BreachDemo_TowerCountersStaleRatchet_AliceGetsHerLatestBalance()
    {
        var outcome = await RunAsync(new DemoOptions(DemoScenario.Breach));

        AssertRight(outcome);
    }

    [Fact]
    public async Task DeadlineDemo_TowerForceClosesBeforeTheRatchetExpires_AliceGetsHerLatestBalance()
    {
        var outcome = await RunAsync(new DemoOptions(DemoScenario.Deadline));

        AssertRight(outcome);
    }

    [Fact]
    public async Task BreachDemo_TowerOnlyIngesting_FailsWithExitCodeOne_BobsStaleRoundPaysOut()
    {
        // Without its tailer and responders the tower keeps the bundles but never reacts: the demo must say so.
        var outcome = await RunAsync(new DemoOptions(DemoScenario.Breach) { TowerRoles = WatchtowerRoles.Ingest, ReactionTimeout = TimeSpan.FromSeconds(2) });

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains(outcome.Failures, f => f.Contains("did not counter", StringComparison.Ordinal));
        Assert.Contains(outcome.Failures, f => f.Contains("stale round 0 paid out", StringComparison.Ordinal));
        // Round 0 gave each their deposit back: Alice loses everything Bob paid her since.
        Assert.All(outcome.Wallets, w => Assert.False(w.IsRight));
        Assert.All(outcome.Wallets, w => Assert.Equal(Start, w.Actual));
    }

    [Fact]
    public async Task BreachDemoOnTheStack_RabbitMqAndRedis_TowerCountersStaleRatchet()
    {
        var redis = Environment.GetEnvironmentVariable("WATCHTOWER_TEST_REDIS");
        var rabbit = Environment.GetEnvironmentVariable("WATCHTOWER_TEST_RABBITMQ");
        Assert.True(!string.IsNullOrWhiteSpace(redis) && !string.IsNullOrWhiteSpace(rabbit),
            "WATCHTOWER_TEST_REDIS (host:port) and WATCHTOWER_TEST_RABBITMQ (amqp URI) must name running servers; scripts/test.sh starts them");

        var outcome = await RunAsync(new DemoOptions(DemoScenario.Breach, new DemoStack(new Uri(rabbit!), redis!)));

        AssertRight(outcome);
    }

    [Fact]
    public async Task DemoCommand_DeadlineOption_ExitsZeroAndTellsTheStory()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var parse = CliApp.CreateRootCommand().Parse(["demo", "--deadline"]);
        parse.InvocationConfiguration.Output = output;
        parse.InvocationConfiguration.Error = error;

        var exit = await parse.InvokeAsync();

        log.WriteLine(output.ToString());
        Assert.Equal("", error.ToString());
        Assert.Equal(0, exit);
        Assert.Contains("DeadlineForceClosed", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("ChannelSettled", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoCommand_ServerOptionsWithoutStack_ExitsTwoWithAnExplanation()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var parse = CliApp.CreateRootCommand().Parse(["demo", "--redis", "127.0.0.1:6379"]);
        parse.InvocationConfiguration.Output = output;
        parse.InvocationConfiguration.Error = error;

        Assert.Equal(2, await parse.InvokeAsync());
        Assert.Contains("--stack", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void StackServers_AmqpUriAndRedisAddress_AreRequired()
    {
        Assert.False(DemoCommand.TryResolveStack("http://127.0.0.1:5672/", "127.0.0.1:6379", out _, out var scheme));
        Assert.Contains("amqp://", scheme, StringComparison.Ordinal);
        Assert.True(DemoCommand.TryResolveStack("amqp://guest:guest@127.0.0.1:5672/", "127.0.0.1:6379", out var stack, out _));
        Assert.Equal(new Uri("amqp://guest:guest@127.0.0.1:5672/"), stack!.RabbitMq);
        Assert.Equal("127.0.0.1:6379", stack.Redis);
    }

    private async Task<DemoOutcome> RunAsync(DemoOptions options)
    {
        using var output = new StringWriter();
        var outcome = await DemoRunner.RunAsync(options, output, TimeProvider.System, CancellationToken.None);
        log.WriteLine(output.ToString());
        return outcome;
    }

    /// <summary>Exit code 0, and each wallet on the ledger holds start − deposit + its balance after the last payment.</summary>
    private static void AssertRight(DemoOutcome outcome)
    {
        Assert.Empty(outcome.Failures);
        Assert.Equal(0, outcome.ExitCode);
        var channel = DemoScript.Deposits.Select(d => d.Value).ToArray();
        foreach (var p in DemoScript.Payments)
        {
            channel[p.From] -= p.Amount.Value;
            channel[p.To] += p.Amount.Value;
        }

        Assert.Equal(DemoScript.Names.Length, outcome.Wallets.Length);
        for (var i = 0; i < channel.Length; i++)
        {
            Assert.Equal(Start, outcome.Wallets[i].Before);
            Assert.Equal(new Stroops(Start.Value - DemoScript.Deposits[i].Value + channel[i]), outcome.Wallets[i].Actual);
        }

        // The honest party ends with more than the stale round-0 state would have given her.
        Assert.True(outcome.Wallets[DemoScript.Alice].Actual > Start);
    }
}
