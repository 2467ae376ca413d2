using System.Text.Json.Nodes;
using Watchtower.Conformance.Tests.Oracle;
using Watchtower.Conformance.Tests.Support;
using Watchtower.Stellar;
using Xunit.Abstractions;

namespace Watchtower.Conformance.Tests;

/// <summary>StrKey (SEP-23) against the spec's vectors and against the JavaScript SDK, both ways.</summary>
[Collection(OracleCollection.Name)]
public sealed class StrKeyConformanceTests(OracleFixture oracle, ITestOutputHelper output)
{
    private static readonly int Cases = RunSeed.Count("WATCHTOWER_CONFORMANCE_CASES", 1000) * 3;

    private static readonly Dictionary<char, StrKeyVersion> ByLetter = new()
    {
        ['G'] = StrKeyVersion.AccountId,
        ['M'] = StrKeyVersion.MuxedAccount,
        ['S'] = StrKeyVersion.SecretSeed,
        ['T'] = StrKeyVersion.PreAuthTx,
        ['X'] = StrKeyVersion.Sha256Hash,
        ['P'] = StrKeyVersion.SignedPayload,
    };

    [Fact]
    public void Sep23Vectors_AreAcceptedAndRejectedAsTheSpecSays_ByUsAndByTheJsSdk()
    {
        var vectors = Vectors.Load("strkeys-sep23.json");
        foreach (var v in vectors["valid"]!.AsArray())
        {
            var strkey = (string)v!["strkey"]!;
            var version = Enum.Parse<StrKeyVersion>((string)v["kind"]!);
            var raw = StrKey.Decode(version, strkey);
            Assert.Equal(strkey, StrKey.Encode(version, raw));
            switch (version)
            {
                case StrKeyVersion.MuxedAccount:
                    Assert.Equal((string)v["hex"]!, Convert.ToHexStringLower(raw));
                    var muxed = MuxedAccount.Parse(strkey);
                    Assert.Equal((string)v["account"]!, muxed.Account.ToString());
                    Assert.Equal(ulong.Parse((string)v["id"]!, System.Globalization.CultureInfo.InvariantCulture), muxed.Id);
                    Assert.Equal(strkey, muxed.ToString());
                    break;
                case StrKeyVersion.SignedPayload:
                    var signer = Assert.IsType<SignedPayloadSignerKey>(SignerKey.Parse(strkey));
                    Assert.Equal((string)v["account"]!, signer.Key.ToString());
                    Assert.Equal((string)v["payload"]!, Convert.ToHexStringLower(signer.PayloadSpan));
                    Assert.Equal(strkey, signer.ToString());
                    break;
                default:
                    Assert.Equal((string)v["hex"]!, Convert.ToHexStringLower(raw));
                    Assert.Equal(strkey, AccountId.Parse(strkey).ToString());
                    break;
            }
        }

        var invalid = vectors["invalid"]!.AsArray().Select(n => (string)n!).ToList();
        foreach (var s in invalid)
        {
            foreach (var version in Enum.GetValues<StrKeyVersion>())
            {
                Assert.False(StrKey.TryDecode(version, s, out _), $"{version} accepted the invalid {s}");
            }

            Assert.Throws<StrKeyFormatException>(() => MuxedAccount.Parse(s));
            Assert.Throws<StrKeyFormatException>(() => SignerKey.Parse(s));
        }

        // The oracle must agree with the file, or the file is wrong.
        var all = vectors["valid"]!.AsArray().Select(v => (string)v!["strkey"]!).Concat(invalid).ToList();
        var verdicts = Inspect(all);
        for (var i = 0; i < all.Count; i++)
        {
            Assert.Equal(i < all.Count - invalid.Count, (bool)verdicts[i]!["valid"]!);
        }
    }

    [Fact]
    public void StrKeysEncodedByTheJsSdk_DecodeToTheSameBytesAndReencodeIdentically()
    {
        var seed = RunSeed.For(nameof(StrKeysEncodedByTheJsSdk_DecodeToTheSameBytesAndReencodeIdentically));
        output.WriteLine($"{Cases} cases, JS seed {seed}, {RunSeed.Replay}");
        var cases = oracle.Client.Call("generateStrkeys", new JsonObject { ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture), ["count"] = Cases }).AsArray();
        var failures = new Failures();
        var index = 0;
        foreach (var c in cases)
        {
            var strkey = (string)c!["strkey"]!;
            var version = Enum.Parse<StrKeyVersion>((string)c["kind"]!);
            var hex = (string)c["hex"]!;
            var problems = new List<string>();
            if (!StrKey.TryDecode(version, strkey, out var raw))
            {
                problems.Add($"C# rejects it as {version}");
            }
            else if (Convert.ToHexStringLower(raw) != hex)
            {
                problems.Add($"C# decodes {Convert.ToHexStringLower(raw)}, the SDK encoded {hex}");
            }

            var encoded = StrKey.Encode(version, Convert.FromHexString(hex));
            if (encoded != strkey)
            {
                problems.Add($"C# encodes the bytes as {encoded}");
            }

            failures.Add(index++, strkey, problems);
        }

        failures.ThrowIfAny("JS SDK StrKeys → C#", cases.Count);
    }

    [Fact]
    public void MutatedStrKeys_AreAcceptedOrRejectedExactlyAsTheJsSdkDoes()
    {
        var mutator = new StrKeyMutator(RunSeed.RandomFor(nameof(MutatedStrKeys_AreAcceptedOrRejectedExactlyAsTheJsSdkDoes)));
        var inputs = Enumerable.Range(0, Cases).Select(_ => mutator.Next()).ToList();
        output.WriteLine($"{Cases} cases, {RunSeed.Replay}");
        var verdicts = Inspect(inputs);
        var failures = new Failures();
        var accepted = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            var s = inputs[i];
            var js = verdicts[i]!;
            if (js["error"] is { } error)
            {
                failures.Add(i, $"\"{s}\"", [$"the SDK threw: {error}"]);
                continue;
            }

            var jsValid = (bool)js["valid"]!;
            accepted += jsValid ? 1 : 0;
            var problems = new List<string>();
            if (s.Length > 0 && ByLetter.TryGetValue(s[0], out var version))
            {
                var ours = StrKey.TryDecode(version, s, out var raw);
                if (ours != jsValid)
                {
                    problems.Add($"{version}: C# says {(ours ? "valid" : "invalid")}, the SDK says {(jsValid ? "valid" : "invalid")}");
                }
                else if (ours && Convert.ToHexStringLower(raw!) != (string)js["hex"]!)
                {
                    problems.Add($"{version}: C# decodes {Convert.ToHexStringLower(raw!)}, the SDK {js["hex"]}");
                }
            }
            else if (Enum.GetValues<StrKeyVersion>().FirstOrDefault(v => StrKey.IsValid(v, s)) is var v && StrKey.IsValid(v, s))
            {
                problems.Add($"C# accepts it as {v}, but no StrKey starts with that character");
            }

            failures.Add(i, $"\"{s}\"", problems);
        }

        output.WriteLine($"{accepted} of them valid");
        failures.ThrowIfAny("StrKey validity, C# vs JS SDK", inputs.Count);
    }

    private JsonArray Inspect(IReadOnlyList<string> strings)
    {
        var result = oracle.Client.Call("strkeys", new JsonObject
        {
            ["cases"] = new JsonArray(strings.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
        }).AsArray();
        Assert.Equal(strings.Count, result.Count);
        return result;
    }
}
