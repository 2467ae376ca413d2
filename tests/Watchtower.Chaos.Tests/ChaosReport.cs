using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Watchtower.Chaos.Tests;

/// <summary>What a run did and found; <see cref="Failures"/> is empty when it passed.</summary>
internal sealed record ChaosReport(
    ChaosProfile Profile,
    int Seed,
    int Channels,
    int BreachChannels,
    int BreachesInjected,
    int DeadlineChannels,
    int FinalDeadlines,
    int CheatsRefused,
    IReadOnlyDictionary<string, int> Faults,
    IReadOnlyDictionary<string, string> FaultsNotRun,
    long HostileSent,
    long HostileUnanswered,
    IReadOnlyDictionary<string, long> HostileAnswers,
    ImmutableArray<string> HostileAccepted,
    int ValidUploadsUnderFlood,
    double LatencyP50Ms,
    double LatencyP99Ms,
    IReadOnlyDictionary<string, int> ValidUploadRetries,
    ImmutableArray<Problem> Problems,
    ImmutableArray<string> HarnessErrors,
    IReadOnlyDictionary<string, TimeSpan> Phases,
    TimeSpan Elapsed,
    string LogDirectory,
    string ProcessTails)
{
    public int Late => Problems.Count(p => p.Kind == ProblemKind.Late);

    public int Lost => Problems.Count(p => p.Kind == ProblemKind.Lost);

    public int Unreceipted => Problems.Count(p => p.Kind == ProblemKind.Unreceipted);

    public ImmutableArray<string> Failures =>
    [
        .. Problems.Select(p => p.Text),
        .. HarnessErrors.Select(e => "harness: " + e),
        .. HostileAccepted.IsEmpty ? [] : new[] { $"{HostileAccepted.Length} hostile uploads accepted" },
        .. HostileAccepted.Take(10).Select(a => "hostile upload accepted: " + a),
    ];

    public string ToText()
    {
        var s = new StringBuilder();
        void Line(string text) => s.AppendLine(text);
        Line($"chaos profile {Profile.Name}, seed {Seed} (replay: WATCHTOWER_CHAOS_SEED={Seed}), {Elapsed.TotalSeconds:0} s (budget {Profile.Budget.TotalMinutes:0} min)");
        Line($"  channels {Channels}; breaches {BreachesInjected} injected of {BreachChannels}; deadlines {DeadlineChannels} wallets stopped at random ledgers + {FinalDeadlines} left to the deadline at the end; Bob's stale snapshots refused {CheatsRefused}");
        Line($"  faults: {(Faults.Count == 0 ? "none" : string.Join(", ", Faults.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} {f.Value}")))} (total {Faults.Values.Sum()})");
        foreach (var (kind, why) in FaultsNotRun)
        {
            Line($"  fault not run: {kind} ({why})");
        }

        Line($"  hostile uploads: {HostileSent} sent, {HostileAnswers.Values.Sum()} answered, {HostileUnanswered} unanswered, {HostileAccepted.Length} accepted");
        foreach (var (answer, count) in HostileAnswers.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            Line($"    {answer}: {count}");
        }

        Line(string.Create(CultureInfo.InvariantCulture, $"  valid uploads under the flood: {ValidUploadsUnderFlood}, latency p50 {LatencyP50Ms:0} ms, p99 {LatencyP99Ms:0} ms"));
        if (ValidUploadRetries.Count > 0)
        {
            Line($"  valid upload attempts that were retried or refused: {string.Join(", ", ValidUploadRetries.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"))}");
        }

        Line($"  phases: {string.Join(", ", Phases.OrderBy(p => p.Value).Select(p => $"{p.Key} at {p.Value.TotalSeconds:0} s"))}");
        Line($"  process logs: {LogDirectory}");
        Line($"  late {Late}, lost {Lost}, unreceipted {Unreceipted}, harness errors {HarnessErrors.Length}");
        foreach (var f in Failures.Take(60))
        {
            Line("  FAIL " + f);
        }

        if (ProcessTails.Length > 0)
        {
            Line(ProcessTails);
        }

        return s.ToString();
    }
}
