using System.Text.Json;
using Watchtower.Deploy.Tests.Chart;
using YamlDotNet.RepresentationModel;

namespace Watchtower.Deploy.Tests.Schema;

/// <summary>
/// Validates YAML against the JSON Schema draft-07 subset the chart's values.schema.json uses:
/// type, properties, required, additionalProperties, enum, minimum, maximum, minLength, items
/// (plus the annotations $schema, title, description). A schema using any other keyword is
/// reported, so nothing in it is silently ignored.
/// </summary>
internal static class SchemaValidator
{
    private static readonly HashSet<string> Keywords =
    [
        "$schema", "title", "description",
        "type", "properties", "required", "additionalProperties", "enum", "minimum", "maximum", "minLength", "items",
    ];

    public static IReadOnlyList<string> UnsupportedKeywords(JsonElement schema)
    {
        var found = new List<string>();
        Walk(schema, "#", found);
        return found;

        static void Walk(JsonElement schema, string where, List<string> found)
        {
            if (schema.ValueKind == JsonValueKind.True || schema.ValueKind == JsonValueKind.False)
            {
                return;
            }

            foreach (var property in schema.EnumerateObject())
            {
                if (!Keywords.Contains(property.Name))
                {
                    found.Add($"{where}: {property.Name}");
                }
            }

            if (schema.TryGetProperty("properties", out var properties))
            {
                foreach (var p in properties.EnumerateObject())
                {
                    Walk(p.Value, $"{where}/properties/{p.Name}", found);
                }
            }

            foreach (var child in new[] { "additionalProperties", "items" })
            {
                if (schema.TryGetProperty(child, out var sub))
                {
                    Walk(sub, $"{where}/{child}", found);
                }
            }
        }
    }

    public static IReadOnlyList<string> Validate(YamlNode? node, JsonElement schema)
    {
        var errors = new List<string>();
        Check(node, schema, "$", errors);
        return errors;
    }

    private static void Check(YamlNode? node, JsonElement schema, string path, List<string> errors)
    {
        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add($"{path}: not allowed");
            return;
        }

        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        var kind = node is null ? YamlKind.Null : YamlTree.KindOf(node);
        if (schema.TryGetProperty("type", out var type) && !TypeMatches(kind, type))
        {
            errors.Add($"{path}: {kind} is not of type {type.GetRawText()}");
            return;
        }

        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => EnumMatches(node, kind, a)))
        {
            errors.Add($"{path}: {(node as YamlScalarNode)?.Value ?? kind.ToString()} is not one of {allowed.GetRawText()}");
        }

        if (node is YamlScalarNode scalar && kind is YamlKind.Integer or YamlKind.Number)
        {
            var value = YamlTree.NumberOf(scalar);
            if (schema.TryGetProperty("minimum", out var min) && value < min.GetDouble())
            {
                errors.Add($"{path}: {value} is below the minimum {min.GetDouble()}");
            }

            if (schema.TryGetProperty("maximum", out var max) && value > max.GetDouble())
            {
                errors.Add($"{path}: {value} is above the maximum {max.GetDouble()}");
            }
        }

        if (node is YamlScalarNode text && kind == YamlKind.String && schema.TryGetProperty("minLength", out var minLength)
            && (text.Value ?? "").Length < minLength.GetInt32())
        {
            errors.Add($"{path}: shorter than {minLength.GetInt32()} characters");
        }

        if (node is YamlMappingNode map)
        {
            CheckObject(map, schema, path, errors);
        }

        if (node is YamlSequenceNode seq && schema.TryGetProperty("items", out var items))
        {
            for (var i = 0; i < seq.Children.Count; i++)
            {
                Check(seq.Children[i], items, $"{path}[{i}]", errors);
            }
        }
    }

    private static void CheckObject(YamlMappingNode map, JsonElement schema, string path, List<string> errors)
    {
        var keys = map.Children.Keys.Select(k => ((YamlScalarNode)k).Value ?? "").ToList();
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(r => !keys.Contains(r)))
            {
                errors.Add($"{path}: missing required property {name}");
            }
        }

        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var propertySchema))
            {
                Check(value, propertySchema, $"{path}.{name}", errors);
            }
            else if (schema.TryGetProperty("additionalProperties", out var additional))
            {
                if (additional.ValueKind == JsonValueKind.False)
                {
                    errors.Add($"{path}: unknown property {name}");
                }
                else
                {
                    Check(value, additional, $"{path}.{name}", errors);
                }
            }
        }
    }

    private static bool TypeMatches(YamlKind kind, JsonElement type) => type.ValueKind == JsonValueKind.Array
        ? type.EnumerateArray().Any(t => TypeMatches(kind, t.GetString()!))
        : TypeMatches(kind, type.GetString()!);

    private static bool TypeMatches(YamlKind kind, string type) => type switch
    {
        "null" => kind == YamlKind.Null,
        "boolean" => kind == YamlKind.Boolean,
        "integer" => kind == YamlKind.Integer,
        "number" => kind is YamlKind.Integer or YamlKind.Number,
        "string" => kind == YamlKind.String,
        "object" => kind == YamlKind.Object,
        "array" => kind == YamlKind.Array,
        _ => throw new NotSupportedException($"JSON Schema type {type}"),
    };

    private static bool EnumMatches(YamlNode? node, YamlKind kind, JsonElement candidate) => (candidate.ValueKind, node) switch
    {
        (JsonValueKind.String, YamlScalarNode s) => kind == YamlKind.String && s.Value == candidate.GetString(),
        (JsonValueKind.True, YamlScalarNode s) => kind == YamlKind.Boolean && s.Value!.Equals("true", StringComparison.OrdinalIgnoreCase),
        (JsonValueKind.False, YamlScalarNode s) => kind == YamlKind.Boolean && s.Value!.Equals("false", StringComparison.OrdinalIgnoreCase),
        (JsonValueKind.Number, YamlScalarNode s) => kind is YamlKind.Integer or YamlKind.Number && YamlTree.NumberOf(s) == candidate.GetDouble(),
        (JsonValueKind.Null, _) => kind == YamlKind.Null,
        _ => false,
    };
}
