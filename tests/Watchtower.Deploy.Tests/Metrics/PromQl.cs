using System.Text.RegularExpressions;

namespace Watchtower.Deploy.Tests.Metrics;

/// <summary>
/// Just enough PromQL reading to check queries against the metric catalog: which tower series a
/// query names, what counter functions are applied to, and which labels it groups or matches on.
/// </summary>
internal static partial class PromQl
{
    /// <summary>Labels every scraped series carries besides its own (Prometheus and Prometheus Operator target labels).</summary>
    public static readonly HashSet<string> TargetLabels = ["job", "instance", "namespace", "service", "pod", "container", "endpoint"];

    public static IReadOnlyList<string> Problems(string expr, MetricCatalog catalog)
    {
        var problems = new List<string>();
        var referenced = TowerSeries(expr).ToList();
        foreach (var name in referenced.Where(n => !catalog.SeriesToFamily.ContainsKey(n)))
        {
            problems.Add($"unknown metric {name}");
        }

        foreach (Match call in CounterCall().Matches(expr))
        {
            var function = call.Groups[1].Value;
            var argument = call.Groups[2].Value;
            if (!catalog.SeriesToFamily.TryGetValue(argument, out var family))
            {
                if (!argument.StartsWith("watchtower_", StringComparison.Ordinal))
                {
                    problems.Add($"{function}() over something other than a tower series: {argument}");
                }

                continue;
            }

            if (family.Type == "gauge")
            {
                problems.Add($"{function}() over the gauge {argument}");
            }
        }

        var families = referenced.Where(catalog.SeriesToFamily.ContainsKey).Select(n => catalog.SeriesToFamily[n]).Distinct().ToList();
        var known = families.SelectMany(f => f.Labels).Concat(TargetLabels).ToHashSet(StringComparer.Ordinal);
        if (referenced.Any(n => n.EndsWith("_bucket", StringComparison.Ordinal)))
        {
            known.Add("le");
        }

        foreach (Match grouping in Grouping().Matches(expr))
        {
            foreach (var label in grouping.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!known.Contains(label))
                {
                    problems.Add($"{grouping.Groups[1].Value} ({label}): no queried metric has that label");
                }
            }
        }

        foreach (Match selector in Selector().Matches(expr))
        {
            if (!catalog.SeriesToFamily.TryGetValue(selector.Groups[1].Value, out var family))
            {
                continue;
            }

            var own = family.Labels.Concat(TargetLabels).ToHashSet(StringComparer.Ordinal);
            if (selector.Groups[1].Value.EndsWith("_bucket", StringComparison.Ordinal))
            {
                own.Add("le");
            }

            foreach (Match matcher in Matcher().Matches(selector.Groups[2].Value))
            {
                if (!own.Contains(matcher.Groups[1].Value))
                {
                    problems.Add($"{selector.Groups[1].Value} has no label {matcher.Groups[1].Value}");
                }
            }
        }

        if (expr.Count(c => c == '(') != expr.Count(c => c == ')') || expr.Count(c => c == '{') != expr.Count(c => c == '}'))
        {
            problems.Add("unbalanced brackets");
        }

        return problems;
    }

    /// <summary>Every identifier that names a tower series (they all start with watchtower_).</summary>
    public static IEnumerable<string> TowerSeries(string expr) =>
        TowerIdentifier().Matches(expr).Select(m => m.Value).Distinct(StringComparer.Ordinal);

    [GeneratedRegex(@"(?<![A-Za-z0-9_:])watchtower_[A-Za-z0-9_:]*")]
    private static partial Regex TowerIdentifier();

    [GeneratedRegex(@"\b(rate|irate|increase|resets)\s*\(\s*([^\s\[{(]*)")]
    private static partial Regex CounterCall();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(watchtower_[A-Za-z0-9_:]*)\s*\{([^}]*)\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)")]
    private static partial Regex Matcher();
}
