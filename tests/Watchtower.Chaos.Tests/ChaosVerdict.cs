using System.Collections.Immutable;

namespace Watchtower.Chaos.Tests;

/// <summary>
/// A channel at the end of a run, read from the ledger. <paramref name="Expected"/>: the wallets'
/// balances if the channel closed at the latest round the tower receipted; <paramref name="Actual"/>:
/// their balances on the ledger. <paramref name="BreachTime"/>: ledger time Bob's stale ratchet
/// landed; <paramref name="AnswerTime"/>: ledger time Alice's latest ratchet landed (only the tower
/// submits it, so that is the tower's answer); <paramref name="RatchetMaxTime"/>: after it, that
/// ratchet can no longer land.
/// </summary>
internal sealed record ChannelOutcome(
    int Index,
    ChannelFate Fate,
    long LatestRound,
    long ReceiptedRound,
    ImmutableArray<long> Expected,
    ImmutableArray<long> Actual,
    DateTimeOffset? BreachTime,
    DateTimeOffset? AnswerTime,
    DateTimeOffset RatchetMaxTime);

/// <summary>What is wrong with one channel, by kind.</summary>
internal enum ProblemKind
{
    /// <summary>The latest round never got a receipt (the wallet could not hand it to the tower).</summary>
    Unreceipted,
    /// <summary>The tower answered after the deadline (or never).</summary>
    Late,
    /// <summary>The ledger does not pay the honest balances of the receipted round.</summary>
    Lost,
}

internal sealed record Problem(int Channel, ProblemKind Kind, string Text);

/// <summary>The pass rules, over values: every breach answered within D, every deadline before its ratchet's maxTime, every channel closed at its receipted round.</summary>
internal static class ChaosVerdict
{
    public static ImmutableArray<Problem> Judge(IEnumerable<ChannelOutcome> outcomes, TimeSpan d)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var problems = ImmutableArray.CreateBuilder<Problem>();
        foreach (var o in outcomes)
        {
            if (o.ReceiptedRound < o.LatestRound)
            {
                problems.Add(new Problem(o.Index, ProblemKind.Unreceipted, $"channel {o.Index}: latest round {o.LatestRound} never receipted (tower receipted {o.ReceiptedRound})"));
            }

            if (o.ReceiptedRound < 0)
            {
                continue;
            }

            if (o.Fate == ChannelFate.Breach)
            {
                if (o.BreachTime is not { } breach)
                {
                    problems.Add(new Problem(o.Index, ProblemKind.Late, $"channel {o.Index}: the breach never landed (harness)"));
                }
                else if (o.AnswerTime is not { } answer || answer - breach > d)
                {
                    problems.Add(new Problem(o.Index, ProblemKind.Late, $"channel {o.Index}: breach at {breach:O} answered {(o.AnswerTime is { } a ? $"at {a:O} ({(a - breach).TotalHours:0.#} h)" : "never")}, D = {d.TotalHours} h"));
                }
            }
            else if (o.AnswerTime is not { } answer || answer > o.RatchetMaxTime)
            {
                problems.Add(new Problem(o.Index, ProblemKind.Late, $"channel {o.Index}: deadline ratchet (maxTime {o.RatchetMaxTime:O}) {(o.AnswerTime is { } a ? $"landed at {a:O}" : "never landed")}"));
            }

            if (o.Actual.IsDefault || !o.Actual.SequenceEqual(o.Expected))
            {
                problems.Add(new Problem(o.Index, ProblemKind.Lost,
                    $"channel {o.Index} ({o.Fate}, round {o.ReceiptedRound}): wallets hold [{Join(o.Actual)}], honest [{Join(o.Expected)}]"));
            }
        }

        return problems.ToImmutable();
    }

    /// <summary>The q-quantile (0..1) by nearest rank; 0 for no values.</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static string Join(ImmutableArray<long> values) => values.IsDefault ? "unsettled" : string.Join(", ", values);
}
