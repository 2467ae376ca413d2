using System.Globalization;

namespace Watchtower.Chaos.Tests;

/// <summary>
/// The figures of one chaos run. Ledger time moves <see cref="Step"/> per tick of the harness's
/// clock driver (one tick about every <see cref="TickInterval"/> of wall time), so D (one day of
/// ledger time) is <c>TickInterval × D / Step</c> of wall time for the tower to answer in.
/// </summary>
public sealed record ChaosProfile(
    string Name,
    int Channels,
    int Breaches,
    int Deadlines,
    int Faults,
    int Outages,
    long HostileUploads,
    int Ticks,
    TimeSpan Step,
    TimeSpan TickInterval,
    TimeSpan Budget)
{
    /// <summary>The CI profile (scripts/test.sh): ≈ 200 channels, 20 breaches, 20 deadlines, ≥ 50,000 hostile uploads.</summary>
    public static ChaosProfile Quick { get; } = new("quick", 200, 20, 20, 8, 1, 50_000, 60, TimeSpan.FromHours(2), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(4));

    /// <summary>The long profile (RELIABILITY.md): 1,000 channels, 100 breaches, 100 deadlines, ≥ 30 faults, ≥ 1,000,000 hostile uploads.</summary>
    public static ChaosProfile Long { get; } = new("long", 1000, 100, 100, 30, 3, 1_000_000, 120, TimeSpan.FromHours(2), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(45));

    /// <summary>WATCHTOWER_CHAOS_PROFILE (quick | long), each figure overridable (WATCHTOWER_CHAOS_CHANNELS, _BREACHES, _DEADLINES, _FAULTS, _OUTAGES, _HOSTILE, _TICKS).</summary>
    public static ChaosProfile FromEnvironment()
    {
        var name = Environment.GetEnvironmentVariable("WATCHTOWER_CHAOS_PROFILE") is { Length: > 0 } p ? p.Trim().ToLowerInvariant() : "quick";
        var profile = name switch
        {
            "quick" => Quick,
            "long" => Long,
            _ => throw new InvalidOperationException($"WATCHTOWER_CHAOS_PROFILE must be quick or long, not \"{name}\""),
        };
        return profile with
        {
            Channels = Figure("CHANNELS", profile.Channels),
            Breaches = Figure("BREACHES", profile.Breaches),
            Deadlines = Figure("DEADLINES", profile.Deadlines),
            Faults = Figure("FAULTS", profile.Faults),
            Outages = Figure("OUTAGES", profile.Outages),
            HostileUploads = Figure("HOSTILE", (int)Math.Min(profile.HostileUploads, int.MaxValue)),
            Ticks = Figure("TICKS", profile.Ticks),
        };
    }

    /// <summary>The run's seed: WATCHTOWER_CHAOS_SEED, or a fresh one (printed, so a failure can be replayed).</summary>
    public static int Seed() =>
        Environment.GetEnvironmentVariable("WATCHTOWER_CHAOS_SEED") is { Length: > 0 } s
            ? int.Parse(s, CultureInfo.InvariantCulture)
            : Random.Shared.Next();

    /// <summary>The answer window every breach gets: TIMEOUT_CLAIM_DELAY of the channels (ledger time).</summary>
    public TimeSpan D => ChaosChannel.Timeouts.TimeoutClaimDelay;

    public TimeSpan Span => Step * Ticks;

    private static int Figure(string name, int fallback) =>
        Environment.GetEnvironmentVariable("WATCHTOWER_CHAOS_" + name) is { Length: > 0 } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
