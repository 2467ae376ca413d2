using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Watchtower.Cli.Tx;
using Watchtower.Conformance.Tests.Oracle;
using Watchtower.Conformance.Tests.Support;
using Watchtower.Stellar;
using Xunit.Abstractions;

namespace Watchtower.Conformance.Tests;

/// <summary>
/// The official JavaScript SDK (@stellar/stellar-base, pinned) against our core, both ways, on
/// random envelopes: what we build the SDK must decode to the same fields, re-encode to the same
/// bytes, hash to the same hash and find validly signed; what the SDK builds we must decode to the
/// same fields, re-encode byte for byte, hash identically and verify. Signatures include hash-x
/// preimages and signed-payload signatures besides plain ed25519.
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class SdkRoundTripTests(OracleFixture oracle, ITestOutputHelper output)
{
    private const int Batch = 250;
    private static readonly int Cases = RunSeed.Count("WATCHTOWER_CONFORMANCE_CASES", 1000);

    [Fact]
    public void EnvelopesBuiltInCSharp_DecodeHashAndVerifyIdenticallyInTheJsSdk()
    {
        output.WriteLine($"{Cases} cases, {RunSeed.Replay}");
        var generator = new RandomEnvelopes(RunSeed.RandomFor(nameof(EnvelopesBuiltInCSharp_DecodeHashAndVerifyIdenticallyInTheJsSdk)));
        var built = new List<BuiltEnvelope>();

        // Built lazily, batch by batch, so C# builds and signs the next batch while node checks this one.
        IEnumerable<JsonObject> Batches()
        {
            for (var start = 0; start < Cases; start += Batch)
            {
                var batch = Enumerable.Range(0, Math.Min(Batch, Cases - start)).Select(_ => generator.Next()).ToList();
                built.AddRange(batch);
                yield return new JsonObject
                {
                    ["cases"] = new JsonArray(batch.Select(b => (JsonNode)new JsonObject
                    {
                        ["xdr"] = b.Envelope.ToXdrBase64(),
                        ["network"] = b.Network.Passphrase,
                        ["signers"] = Addresses(b.Signers),
                        ["innerSigners"] = Addresses(b.InnerSigners),
                    }).ToArray()),
                };
            }
        }

        var results = oracle.Client.Pipeline("check", Batches()).SelectMany(r => r.AsArray()).ToList();
        Assert.Equal(built.Count, results.Count);
        var failures = new Failures();
        var coverage = new Coverage();
        for (var i = 0; i < built.Count; i++)
        {
            var b = built[i];
            var expected = JsonNode.Parse(EnvelopeJson.ToJson(b.Envelope, b.Network))!;
            coverage.Add(expected);
            coverage.AddSigners(b.Signers.Concat(b.InnerSigners));
            failures.Add(i, $"{b.Network.Passphrase} {b.Envelope.ToXdrBase64()}", Check(b, expected, results[i]!));
        }

        failures.ThrowIfAny("C# → JS SDK", built.Count);
        AssertCovered(coverage);
    }

    [Fact]
    public void EnvelopesBuiltWithTheJsSdk_DecodeReencodeHashAndVerifyIdenticallyInCSharp()
    {
        var seed = RunSeed.For(nameof(EnvelopesBuiltWithTheJsSdk_DecodeReencodeHashAndVerifyIdenticallyInCSharp));
        output.WriteLine($"{Cases} cases, JS seed {seed}, {RunSeed.Replay}");
        var requests = Enumerable.Range(0, (Cases + Batch - 1) / Batch)
            .Select(batch => new JsonObject { ["seed"] = $"{seed}/{batch}", ["count"] = Math.Min(Batch, Cases - (batch * Batch)) });
        var cases = oracle.Client.Pipeline("generate", requests).SelectMany(r => r.AsArray()).ToList();
        Assert.Equal(Cases, cases.Count);
        var failures = new Failures();
        var coverage = new Coverage();
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i]!;
            coverage.Add(c["description"]!);
            coverage.AddSigners(Strings(c["signers"]).Concat(Strings(c["innerSigners"])));
            failures.Add(i, $"{c["network"]} {c["xdr"]}", CheckJsCase(c));
        }

        failures.ThrowIfAny("JS SDK → C#", Cases);
        AssertCovered(coverage);
    }

    [Fact]
    public void CorruptedSignaturesAndWrongNetworks_AreRejectedByTheJsSdksCheck()
    {
        // Negative control: the oracle's signature check must be able to say no.
        var random = RunSeed.RandomFor(nameof(CorruptedSignaturesAndWrongNetworks_AreRejectedByTheJsSdksCheck));
        var generator = new RandomEnvelopes(random);
        var signed = Enumerable.Range(0, 200).Select(_ => generator.Next()).Where(b => b.Signers.Length > 0).Take(40).ToList();
        var cases = new JsonArray();
        var corrupted = new List<int>();
        foreach (var b in signed)
        {
            var at = random.Next(b.Signers.Length);
            var bad = b.Envelope.Signatures[at].Signature;
            bad[random.Next(bad.Length)] ^= (byte)(1 << random.Next(8));
            var envelope = b.Envelope with { Signatures = b.Envelope.Signatures.SetItem(at, new DecoratedSignature(b.Envelope.Signatures[at].Hint, bad)) };
            corrupted.Add(at);
            cases.Add(new JsonObject { ["xdr"] = envelope.ToXdrBase64(), ["network"] = b.Network.Passphrase, ["signers"] = Addresses(b.Signers) });
            cases.Add(new JsonObject { ["xdr"] = b.Envelope.ToXdrBase64(), ["network"] = b.Network.Passphrase + " (not this one)", ["signers"] = Addresses(b.Signers) });
        }

        var results = oracle.Client.Call("check", new JsonObject { ["cases"] = cases }).AsArray();
        for (var i = 0; i < signed.Count; i++)
        {
            var withBadSignature = results[2 * i]!["signedBy"]!.AsArray().Select(n => (string?)n).ToList();
            var expected = signed[i].Signers.Select((s, k) => k == corrupted[i] ? null : s).ToList();
            // A hash-x preimage does not depend on the network; everything else must fail there.
            var onWrongNetwork = results[(2 * i) + 1]!["signedBy"]!.AsArray().Select(n => (string?)n).ToList();
            var expectedOnWrongNetwork = signed[i].Signers.Select(s => s[0] == 'X' || s[0] == 'P' ? s : null).ToList();
            Assert.Equal(expected, withBadSignature);
            Assert.Equal(expectedOnWrongNetwork, onWrongNetwork);
        }
    }

    private static IEnumerable<string> Check(BuiltEnvelope built, JsonNode expected, JsonNode result)
    {
        var xdr = built.Envelope.ToXdrBase64();
        var decoded = TransactionEnvelope.FromXdrBase64(xdr);
        if (!decoded.Equals(built.Envelope))
        {
            yield return "C# decodes its own encoding to a different value";
        }

        if (result["error"] is { } error)
        {
            yield return $"the JS SDK cannot decode it: {error}";
            yield break;
        }

        foreach (var d in JsonDiff.Diff(expected, result["description"]))
        {
            yield return d;
        }

        foreach (var d in SignedBy("signatures", built.Signers, result["signedBy"]))
        {
            yield return d;
        }

        if (built.Envelope is FeeBumpEnvelope)
        {
            foreach (var d in SignedBy("inner signatures", built.InnerSigners, result["innerSignedBy"]))
            {
                yield return d;
            }
        }
    }

    private static IEnumerable<string> SignedBy(string what, ImmutableArray<string> expected, JsonNode? actual)
    {
        var found = actual?.AsArray().Select(n => (string?)n).ToList() ?? [];
        if (!found.SequenceEqual(expected))
        {
            yield return $"{what}: the JS SDK verified them as signed by [{string.Join(", ", found.Select(f => f ?? "INVALID"))}], expected [{string.Join(", ", expected)}]";
        }
    }

    private static IEnumerable<string> CheckJsCase(JsonNode c)
    {
        var xdr = (string)c["xdr"]!;
        var network = new Network((string)c["network"]!);
        TransactionEnvelope envelope;
        try
        {
            envelope = TransactionEnvelope.FromXdrBase64(xdr);
        }
        catch (FormatException e)
        {
            return [$"C# cannot decode it: {e.Message}"];
        }

        var problems = new List<string>();
        var reencoded = envelope.ToXdrBase64();
        if (reencoded != xdr)
        {
            problems.Add($"C# re-encodes it as {reencoded}");
        }

        problems.AddRange(JsonDiff.Diff(c["description"], JsonNode.Parse(EnvelopeJson.ToJson(envelope, network))));
        problems.AddRange(SignatureCheck.Verify("signatures", envelope.Signatures, envelope.Hash(network), c["signers"]));
        if (envelope is FeeBumpEnvelope fb)
        {
            problems.AddRange(SignatureCheck.Verify("inner signatures", fb.FeeBump.Inner.Signatures, fb.FeeBump.Inner.Hash(network), c["innerSigners"]));
        }

        return problems;
    }

    private void AssertCovered(Coverage coverage)
    {
        output.WriteLine($"covered: {string.Join(", ", coverage.Seen.Order(StringComparer.Ordinal))}");
        if (Cases >= 500)
        {
            Assert.True(!coverage.Missing.Any(), $"the random cases missed {string.Join(", ", coverage.Missing)}; {RunSeed.Replay}");
        }
    }

    private static IEnumerable<string> Strings(JsonNode? array) => array?.AsArray().Select(n => (string)n!) ?? [];

    private static JsonArray Addresses(ImmutableArray<string> signers)
        => new(signers.Select(a => (JsonNode)JsonValue.Create(a)).ToArray());
}
