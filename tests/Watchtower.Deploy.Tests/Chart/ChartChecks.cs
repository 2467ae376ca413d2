using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Watchtower.Deploy.Tests.Chart;

/// <summary>Static checks over chart templates, returning the problems found (empty when sound).</summary>
internal static partial class ChartChecks
{
    public static readonly string[] RequiredLabels =
    [
        "app.kubernetes.io/name",
        "app.kubernetes.io/instance",
        "app.kubernetes.io/version",
        "app.kubernetes.io/component",
        "app.kubernetes.io/managed-by",
        "app.kubernetes.io/part-of",
    ];

    /// <summary>Every <c>.Values.a.b</c> path a template mentions (also through <c>$.Values</c> or a dict's <c>.ctx.Values</c>).</summary>
    public static IReadOnlySet<string> ValuesReferences(string template) =>
        ValuesPattern().Matches(template).Select(m => m.Groups[1].Value[1..]).ToHashSet(StringComparer.Ordinal);

    public static IEnumerable<string> MissingValues(IEnumerable<string> paths, YamlNode values) =>
        paths.Where(p => YamlTree.At(values, p) is null).Order(StringComparer.Ordinal);

    /// <summary>One Kubernetes resource with apiVersion, kind, metadata.name and the app.kubernetes.io labels.</summary>
    public static IReadOnlyList<string> ResourceProblems(IReadOnlyList<YamlNode> documents)
    {
        if (documents.Count != 1)
        {
            return [$"expected exactly one resource, found {documents.Count}"];
        }

        var doc = documents[0];
        var problems = new List<string>();
        foreach (var field in new[] { "apiVersion", "kind", "metadata.name" })
        {
            if (string.IsNullOrWhiteSpace(YamlTree.ScalarAt(doc, field)))
            {
                problems.Add($"missing {field}");
            }
        }

        var labels = YamlTree.At(doc, "metadata.labels") as YamlMappingNode;
        foreach (var label in RequiredLabels)
        {
            if (labels is null || !labels.Children.TryGetValue(new YamlScalarNode(label), out var value)
                || value is not YamlScalarNode { Value.Length: > 0 })
            {
                problems.Add($"missing label {label}");
            }
        }

        return problems;
    }

    /// <summary>Actions printing a value the schema types as integer without an int64/int conversion.</summary>
    public static IEnumerable<string> IntegersPrintedWithoutInt64(string template, JsonElement schema)
    {
        foreach (Match action in PrintedValue().Matches(template))
        {
            var node = schema;
            foreach (var key in action.Groups[1].Value.Split('.'))
            {
                if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty("properties", out var properties) || !properties.TryGetProperty(key, out node))
                {
                    node = default;
                    break;
                }
            }

            var isInteger = node.ValueKind == JsonValueKind.Object && node.TryGetProperty("type", out var type)
                && type.ValueKind == JsonValueKind.String && type.GetString() == "integer";
            var converted = action.Groups[2].Value.Split('|').Any(f => f.Trim() is "int64" or "int");
            if (isInteger && !converted)
            {
                yield return $"{action.Value} prints an integer without int64";
            }
        }
    }

    [GeneratedRegex(@"\{\{-?\s*\$?\.(?:ctx\.)?Values\.([A-Za-z0-9_.]+)((?:\s*\|[^|}]+)*?)\s*-?\}\}")]
    private static partial Regex PrintedValue();

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuesPattern();
}
