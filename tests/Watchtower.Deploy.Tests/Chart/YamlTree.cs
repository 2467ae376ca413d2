using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Watchtower.Deploy.Tests.Chart;

/// <summary>The JSON-compatible type a YAML 1.2 core-schema scalar resolves to.</summary>
internal enum YamlKind
{
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Object,
    Array,
}

/// <summary>Helpers over YamlDotNet's representation model: typing, lookup by path, and block emission.</summary>
internal static partial class YamlTree
{
    public static YamlNode? LoadSingle(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    /// <summary>Every document of a multi-document text; an empty or comment-only text has none.</summary>
    public static IReadOnlyList<YamlNode> LoadAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => d.RootNode)
            .Where(n => !(n is YamlScalarNode s && KindOf(s) == YamlKind.Null))
            .ToList();
    }

    public static YamlKind KindOf(YamlNode node) => node switch
    {
        YamlMappingNode => YamlKind.Object,
        YamlSequenceNode => YamlKind.Array,
        YamlScalarNode s when s.Style is ScalarStyle.Plain => PlainKind(s.Value ?? ""),
        YamlScalarNode => YamlKind.String,
        _ => throw new NotSupportedException($"YAML node {node.NodeType} at {node.Start}"),
    };

    private static YamlKind PlainKind(string value) => value switch
    {
        "" or "~" or "null" or "Null" or "NULL" => YamlKind.Null,
        "true" or "True" or "TRUE" or "false" or "False" or "FALSE" => YamlKind.Boolean,
        _ when IntegerPattern().IsMatch(value) => YamlKind.Integer,
        _ when NumberPattern().IsMatch(value) => YamlKind.Number,
        _ => YamlKind.String,
    };

    public static double NumberOf(YamlScalarNode node) =>
        double.Parse(node.Value!, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The node at a dotted path of mapping keys, or null when any step is missing.</summary>
    public static YamlNode? At(YamlNode root, IEnumerable<string> path)
    {
        var node = root;
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    /// <summary>Deep merge as Helm merges values files: mappings key by key, anything else replaced.</summary>
    public static YamlNode Merge(YamlNode baseNode, YamlNode overlay)
    {
        if (baseNode is not YamlMappingNode baseMap || overlay is not YamlMappingNode overlayMap)
        {
            return overlay;
        }

        var merged = new YamlMappingNode();
        foreach (var (key, value) in baseMap.Children)
        {
            merged.Add(key, overlayMap.Children.TryGetValue(key, out var over) ? Merge(value, over) : value);
        }

        foreach (var (key, value) in overlayMap.Children.Where(kv => !baseMap.Children.ContainsKey(kv.Key)))
        {
            merged.Add(key, value);
        }

        return merged;
    }

    public static YamlNode? At(YamlNode root, string dottedPath) => At(root, dottedPath.Split('.'));

    public static string? ScalarAt(YamlNode root, string dottedPath) => (At(root, dottedPath) as YamlScalarNode)?.Value;

    /// <summary>
    /// Block YAML for a node, as Helm's toYaml would write it (no trailing newline). Plain scalars keep
    /// their text so types survive; other scalars are written double-quoted.
    /// </summary>
    public static string Emit(YamlNode node)
    {
        var sb = new StringBuilder();
        EmitBlock(sb, node, 0);
        return sb.ToString().TrimEnd('\n');
    }

    private static void EmitBlock(StringBuilder sb, YamlNode node, int indent)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case YamlMappingNode map when map.Children.Count == 0:
                sb.Append(pad).Append("{}\n");
                break;
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    sb.Append(pad).Append(Scalar((YamlScalarNode)key)).Append(':');
                    EmitValue(sb, value, indent);
                }

                break;
            case YamlSequenceNode seq when seq.Children.Count == 0:
                sb.Append(pad).Append("[]\n");
                break;
            case YamlSequenceNode seq:
                foreach (var item in seq.Children)
                {
                    if (item is YamlScalarNode s)
                    {
                        sb.Append(pad).Append("- ").Append(Scalar(s)).Append('\n');
                    }
                    else
                    {
                        // Nested collections start on the dash line, as sequences of mappings usually do.
                        var nested = new StringBuilder();
                        EmitBlock(nested, item, indent + 2);
                        sb.Append(pad).Append("- ").Append(nested.ToString()[(indent + 2)..]);
                    }
                }

                break;
            case YamlScalarNode scalar:
                sb.Append(pad).Append(Scalar(scalar)).Append('\n');
                break;
        }
    }

    private static void EmitValue(StringBuilder sb, YamlNode value, int indent)
    {
        if (value is YamlScalarNode s)
        {
            sb.Append(' ').Append(Scalar(s)).Append('\n');
        }
        else if ((value is YamlMappingNode m && m.Children.Count == 0) || (value is YamlSequenceNode q && q.Children.Count == 0))
        {
            sb.Append(value is YamlMappingNode ? " {}\n" : " []\n");
        }
        else
        {
            sb.Append('\n');
            EmitBlock(sb, value, indent + 2);
        }
    }

    /// <summary>Scalar text for Go-template output: the plain value, as Helm prints strings, numbers and booleans.</summary>
    public static string Scalar(YamlScalarNode s) =>
        s.Style is ScalarStyle.Plain ? s.Value ?? "" : Quote(s.Value ?? "");

    public static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*|0x[0-9a-fA-F]+|0o[0-7]+)$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")]
    private static partial Regex NumberPattern();
}
