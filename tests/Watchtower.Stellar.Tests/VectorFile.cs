using Xunit;

namespace Watchtower.Stellar.Tests;

/// <summary>Reads the '|'-separated vector files under Vectors/ ('#' lines are comments).</summary>
internal static class VectorFile
{
    public static IEnumerable<string[]> Rows(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Vectors", name);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            yield return line.Split('|');
        }
    }

    public static TheoryData<string[]> Theory(string name)
    {
        var data = new TheoryData<string[]>();
        foreach (var row in Rows(name))
        {
            data.Add(row);
        }

        return data;
    }

    public static Network NetworkNamed(string name) => name switch
    {
        "testnet" => Network.Testnet,
        "public" => Network.Public,
        "standalone" => Network.Standalone,
        _ => throw new ArgumentException($"unknown network {name}", nameof(name)),
    };

    /// <summary>The keys the JS generator used: raw ed25519 seeds filled with 1, 2, 3 and 9.</summary>
    public static KeyPair Key(byte fill)
    {
        var seed = new byte[32];
        Array.Fill(seed, fill);
        return KeyPair.FromSeed(new SecretSeed(seed));
    }
}
