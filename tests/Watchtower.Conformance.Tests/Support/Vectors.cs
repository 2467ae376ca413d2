using System.Text.Json.Nodes;

namespace Watchtower.Conformance.Tests.Support;

/// <summary>The checked-in vector files (copied next to the test assembly).</summary>
public static class Vectors
{
    public static JsonNode Load(string name)
        => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", name)))
           ?? throw new InvalidDataException($"empty vector file {name}");
}
