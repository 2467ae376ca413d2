namespace Watchtower.Deploy.Tests.Metrics;

/// <summary>A row of the table in docs/metrics.md.</summary>
internal sealed record DocumentedMetric(string Name, string Type, IReadOnlyList<string> Labels, string Unit, IReadOnlyList<string> Roles, string Meaning, string Alert);

/// <summary>Reads docs/metrics.md's table and compares it with the catalog.</summary>
internal static class MetricsDoc
{
    private static readonly HashSet<string> Roles = ["ingest", "tail", "respond"];

    /// <summary>Table rows whose first cell is a code-quoted metric name; columns as in the header.</summary>
    public static IReadOnlyList<DocumentedMetric> Parse(string markdown) =>
        markdown.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray())
            .Select(c => new DocumentedMetric(
                Unquote(c[0]),
                c.Length > 1 ? c[1] : "",
                c.Length > 2 ? List(c[2]) : [],
                c.Length > 3 ? c[3] : "",
                c.Length > 4 ? List(c[4]) : [],
                c.Length > 5 ? c[5] : "",
                c.Length > 6 ? c[6] : ""))
            .ToList();

    public static IReadOnlyList<string> Problems(IReadOnlyList<DocumentedMetric> documented, MetricCatalog catalog)
    {
        var problems = new List<string>();
        foreach (var duplicate in documented.GroupBy(d => d.Name).Where(g => g.Count() > 1))
        {
            problems.Add($"{duplicate.Key} documented {duplicate.Count()} times");
        }

        var byName = documented.GroupBy(d => d.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var family in catalog.Families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (!byName.TryGetValue(family.Name, out var doc))
            {
                problems.Add($"{family.Name} ({family.Type}) is not documented");
                continue;
            }

            if (doc.Type != family.Type)
            {
                problems.Add($"{family.Name}: documented as {doc.Type}, exported as {family.Type}");
            }

            if (!doc.Labels.Order(StringComparer.Ordinal).SequenceEqual(family.Labels.Order(StringComparer.Ordinal)))
            {
                problems.Add($"{family.Name}: documented labels [{string.Join(", ", doc.Labels)}], exported [{string.Join(", ", family.Labels)}]");
            }

            if (doc.Roles.Count == 0 || doc.Roles.Any(r => !Roles.Contains(r)))
            {
                problems.Add($"{family.Name}: role must be one or more of ingest, tail, respond");
            }

            foreach (var (column, text) in new[] { ("unit", doc.Unit), ("meaning", doc.Meaning), ("suggested alert", doc.Alert) })
            {
                if (string.IsNullOrWhiteSpace(text))
                {
                    problems.Add($"{family.Name}: no {column}");
                }
            }
        }

        foreach (var extra in byName.Keys.Where(n => !catalog.Families.ContainsKey(n)))
        {
            problems.Add($"{extra} is documented but not exported");
        }

        return problems;
    }

    private static string Unquote(string cell) => cell.Trim('`');

    /// <summary>"`a`, `b`" or "a, b"; a dash means none.</summary>
    private static List<string> List(string cell) =>
        cell is "—" or "-" or ""
            ? []
            : cell.Split(',').Select(p => p.Trim().Trim('`')).Where(p => p.Length > 0).ToList();
}
