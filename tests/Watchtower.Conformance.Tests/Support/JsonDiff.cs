using System.Text.Json.Nodes;

namespace Watchtower.Conformance.Tests.Support;

/// <summary>Field-level differences between two JSON trees, as "path: expected … but was …" lines.</summary>
public static class JsonDiff
{
    public static List<string> Diff(JsonNode? expected, JsonNode? actual)
    {
        var diffs = new List<string>();
        Walk(expected, actual, "$", diffs);
        return diffs;
    }

    private static void Walk(JsonNode? expected, JsonNode? actual, string path, List<string> diffs)
    {
        switch (expected, actual)
        {
            case (null, null):
                return;
            case (JsonObject e, JsonObject a):
                foreach (var (key, value) in e)
                {
                    if (!a.ContainsKey(key))
                    {
                        diffs.Add($"{path}.{key}: expected {Text(value)} but it is missing");
                    }
                    else
                    {
                        Walk(value, a[key], $"{path}.{key}", diffs);
                    }
                }

                foreach (var (key, value) in a)
                {
                    if (!e.ContainsKey(key))
                    {
                        diffs.Add($"{path}.{key}: unexpected {Text(value)}");
                    }
                }

                return;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    diffs.Add($"{path}: expected {e.Count} items but was {a.Count}");
                }

                for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
                {
                    Walk(e[i], a[i], $"{path}[{i}]", diffs);
                }

                return;
            default:
                if (Text(expected) != Text(actual))
                {
                    diffs.Add($"{path}: expected {Text(expected)} but was {Text(actual)}");
                }

                return;
        }
    }

    private static string Text(JsonNode? node) => node?.ToJsonString() ?? "null";
}
