using System.Collections.Immutable;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Watchtower.Tower.Hosting;

namespace Watchtower.Demo;

/// <summary>Which ending the demo plays.</summary>
public enum DemoScenario
{
    /// <summary>Bob broadcasts a stale ratchet while Alice is offline; the tower counters it.</summary>
    Breach,

    /// <summary>Nobody refreshes the channel; the tower force-closes it before the latest ratchet expires.</summary>
    Deadline,
}

/// <summary>Real servers for the tower's bus and store instead of the in-memory defaults.</summary>
public sealed record DemoStack(Uri RabbitMq, string Redis);

/// <summary>How to run the demo.</summary>
/// <param name="Stack">Null runs the embedded default (in-memory bus and store).</param>
/// <param name="Verbose">Also print the tower's own log lines.</param>
public sealed record DemoOptions(DemoScenario Scenario, DemoStack? Stack = null, bool Verbose = false)
{
    /// <summary>How long (wall clock) the demo waits for the tower to react before declaring failure.</summary>
    public TimeSpan ReactionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The tower's loops; all of them unless a test removes some to show that the story's checks then fail.</summary>
    public WatchtowerRoles TowerRoles { get; init; } = WatchtowerRoles.All;
}

/// <summary>One payment round inside the channel.</summary>
public sealed record DemoPayment(int From, int To, Stroops Amount);

/// <summary>
/// The story's fixed numbers: who deposits what, the payment rounds, and the channel's time
/// parameters. Times are the spec's: D (synchrony bound) one day, so the demo moves ledger time by
/// days while the wall clock moves by seconds.
/// </summary>
public static class DemoScript
{
    public const int Alice = 0;
    public const int Bob = 1;

    public static readonly ImmutableArray<string> Names = ["Alice", "Bob"];

    /// <summary>What friendbot-style setup gives each wallet before the channel opens.</summary>
    public static readonly Stroops WalletStart = Stroops.FromLumens(1000);

    public static readonly ImmutableArray<Stroops> Deposits = [Stroops.FromLumens(500), Stroops.FromLumens(500)];

    /// <summary>Three rounds: Bob ends up owing Alice 275 of his 500.</summary>
    public static readonly ImmutableArray<DemoPayment> Payments =
    [
        new(Bob, Alice, Stroops.FromLumens(120)),
        new(Alice, Bob, Stroops.FromLumens(45)),
        new(Bob, Alice, Stroops.FromLumens(200)),
    ];

    /// <summary>The round Bob cheats with: round 0, where he still had his whole deposit.</summary>
    public const long StaleRound = 0;

    public static readonly ChannelTimeouts Timeouts = new(
        SynchronyDelay: TimeSpan.FromDays(1),
        TimeoutClaim: TimeSpan.FromDays(3),
        TimeoutClaimDelay: TimeSpan.FromDays(1),
        MaxRoundInterval: TimeSpan.FromDays(2),
        MaxClockSkew: TimeSpan.FromMinutes(1));

    /// <summary>Each participant's channel balance after every payment of the script.</summary>
    public static ImmutableArray<Stroops> FinalChannelBalances()
    {
        var balances = Deposits.Select(d => d.Value).ToArray();
        foreach (var p in Payments)
        {
            balances[p.From] -= p.Amount.Value;
            balances[p.To] += p.Amount.Value;
        }

        return [.. balances.Select(b => new Stroops(b))];
    }

    /// <summary>A wallet's ledger balance once the channel settled on its latest round (the channel's fees are paid by R and the version accounts).</summary>
    public static Stroops ExpectedWalletBalance(int participant) =>
        new(WalletStart.Value - Deposits[participant].Value + FinalChannelBalances()[participant].Value);
}
