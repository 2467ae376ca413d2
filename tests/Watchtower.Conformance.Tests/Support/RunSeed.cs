using System.Globalization;
using System.Security.Cryptography;

namespace Watchtower.Conformance.Tests.Support;

/// <summary>
/// The seed of this test run: WATCHTOWER_CONFORMANCE_SEED when set (to replay a failure), otherwise
/// random. Every randomized test derives its own stream from it and prints it; every failure
/// message names it. Case counts can be raised with WATCHTOWER_CONFORMANCE_CASES / WATCHTOWER_FUZZ_CASES.
/// </summary>
public static class RunSeed
{
    public const string SeedVariable = "WATCHTOWER_CONFORMANCE_SEED";

    private static readonly Lazy<ulong> Seed = new(() =>
    {
        var text = Environment.GetEnvironmentVariable(SeedVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        }

        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : throw new InvalidOperationException($"{SeedVariable}={text} is not an unsigned 64-bit integer");
    });

    public static ulong Value => Seed.Value;

    /// <summary>How to replay, for output and failure messages.</summary>
    public static string Replay => $"seed {Value} (replay: {SeedVariable}={Value})";

    /// <summary>A per-test seed so that tests do not share one random stream.</summary>
    public static ulong For(string test)
    {
        var bytes = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{Value}/{test}"));
        return BitConverter.ToUInt64(bytes);
    }

    public static Random RandomFor(string test) => new((int)(For(test) & int.MaxValue));

    public static int Count(string variable, int normal)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(text) ? normal : int.Parse(text, CultureInfo.InvariantCulture);
    }
}
