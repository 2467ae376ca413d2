using System.Text.Json;
using Watchtower.Deploy.Tests.Metrics;

namespace Watchtower.Deploy.Tests.Dashboards;

/// <summary>Checks a Grafana dashboard JSON: import input, datasources, uids, schema version, queries.</summary>
internal static class DashboardChecks
{
    public const string DataSourceInput = "${DS_PROMETHEUS}";
    public const int MinimumSchemaVersion = 36;

    public static IReadOnlyList<string> Problems(JsonElement dashboard, MetricCatalog catalog)
    {
        var problems = new List<string>();
        if (!dashboard.TryGetProperty("uid", out var uid) || uid.ValueKind != JsonValueKind.String
            || uid.GetString() is not { Length: > 0 and <= 40 })
        {
            problems.Add("uid must be a fixed string of 1 to 40 characters");
        }

        if (!dashboard.TryGetProperty("schemaVersion", out var schema) || schema.GetInt32() < MinimumSchemaVersion)
        {
            problems.Add($"schemaVersion must be at least {MinimumSchemaVersion}");
        }

        var inputs = dashboard.TryGetProperty("__inputs", out var i) ? i.EnumerateArray().ToList() : [];
        if (!inputs.Any(input => input.GetProperty("name").GetString() == "DS_PROMETHEUS"
                && input.GetProperty("type").GetString() == "datasource"
                && input.GetProperty("pluginId").GetString() == "prometheus"))
        {
            problems.Add("__inputs lacks the DS_PROMETHEUS prometheus datasource");
        }

        var panels = AllPanels(dashboard).ToList();
        if (panels.Count == 0)
        {
            problems.Add("no panels");
        }

        var ids = new HashSet<int>();
        foreach (var panel in panels)
        {
            var title = panel.TryGetProperty("title", out var t) ? t.GetString() : "(untitled)";
            if (!panel.TryGetProperty("id", out var id) || !ids.Add(id.GetInt32()))
            {
                problems.Add($"panel '{title}': missing or duplicate id");
            }

            if (!UsesInput(panel))
            {
                problems.Add($"panel '{title}': datasource is not {DataSourceInput}");
            }

            var isRow = panel.GetProperty("type").GetString() == "row";
            var targets = panel.TryGetProperty("targets", out var ts) ? ts.EnumerateArray().ToList() : [];
            if (!isRow && targets.Count == 0)
            {
                problems.Add($"panel '{title}': no queries");
            }

            foreach (var target in targets)
            {
                if (!UsesInput(target))
                {
                    problems.Add($"panel '{title}' target {target.GetProperty("refId").GetString()}: datasource is not {DataSourceInput}");
                }

                var expr = target.TryGetProperty("expr", out var e) ? e.GetString() ?? "" : "";
                if (expr.Length == 0)
                {
                    problems.Add($"panel '{title}': empty query");
                }

                problems.AddRange(PromQl.Problems(expr, catalog).Select(p => $"panel '{title}': {p}"));
            }
        }

        foreach (var variable in Variables(dashboard).Where(v => v.GetProperty("type").GetString() == "query"))
        {
            var name = variable.GetProperty("name").GetString();
            if (!UsesInput(variable))
            {
                problems.Add($"variable {name}: datasource is not {DataSourceInput}");
            }

            var query = variable.GetProperty("query");
            var text = query.ValueKind == JsonValueKind.Object ? query.GetProperty("query").GetString() ?? "" : query.GetString() ?? "";
            problems.AddRange(PromQl.Problems(text, catalog).Select(p => $"variable {name}: {p}"));
        }

        return problems;
    }

    /// <summary>Top-level panels and the panels of collapsed rows.</summary>
    public static IEnumerable<JsonElement> AllPanels(JsonElement dashboard)
    {
        if (!dashboard.TryGetProperty("panels", out var panels))
        {
            yield break;
        }

        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>Every PromQL expression of the dashboard (panel targets and query variables).</summary>
    public static IEnumerable<string> Expressions(JsonElement dashboard) =>
        AllPanels(dashboard)
            .SelectMany(p => p.TryGetProperty("targets", out var t) ? t.EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Select(t => t.TryGetProperty("expr", out var e) ? e.GetString() ?? "" : "");

    private static IEnumerable<JsonElement> Variables(JsonElement dashboard) =>
        dashboard.TryGetProperty("templating", out var templating) && templating.TryGetProperty("list", out var list)
            ? list.EnumerateArray()
            : [];

    /// <summary>A datasource given as the input, either as the string or as {type: prometheus, uid: input}.</summary>
    private static bool UsesInput(JsonElement element)
    {
        if (!element.TryGetProperty("datasource", out var ds))
        {
            return false;
        }

        return ds.ValueKind switch
        {
            JsonValueKind.String => ds.GetString() == DataSourceInput,
            JsonValueKind.Object => ds.TryGetProperty("uid", out var u) && u.GetString() == DataSourceInput
                && (!ds.TryGetProperty("type", out var type) || type.GetString() == "prometheus"),
            _ => false,
        };
    }
}
