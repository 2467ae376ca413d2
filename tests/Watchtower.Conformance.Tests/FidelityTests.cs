using System.CommandLine;
using System.Text.Json.Nodes;
using Watchtower.Cli;
using Watchtower.Cli.Tx;
using Watchtower.Conformance.Tests.Oracle;
using Watchtower.Conformance.Tests.Support;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Conformance.Tests;

/// <summary>
/// Issue 15's cases, found by clients the project was not tuned to, recorded in Vectors/fidelity.json
/// from the official JavaScript SDK and the Rust reference XDR, and checked against both live.
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class FidelityTests(OracleFixture oracle)
{
    private static readonly JsonNode File = Vectors.Load("fidelity.json");

    private static IEnumerable<JsonNode> Envelopes => File["envelopes"]!.AsArray().Select(e => e!);

    private static JsonNode Envelope(string name) => Envelopes.Single(e => (string)e["name"]! == name);

    [Fact]
    public void RecordedCases_AreWhatBothOraclesSayToday()
    {
        var envelopes = Envelopes.ToList();
        var sdk = oracle.Client.Call("check", new JsonObject
        {
            ["cases"] = new JsonArray(envelopes.Select(e => (JsonNode)new JsonObject
            {
                ["xdr"] = (string)e["xdr"]!,
                ["network"] = (string)e["network"]!,
                ["signers"] = new JsonArray(),
                ["innerSigners"] = new JsonArray(),
            }).ToArray()),
        }).AsArray();
        var rust = RustXdr.Decode(envelopes.Select(e => ("TransactionEnvelope", (string)e["xdr"]!)));
        var failures = new Failures();
        for (var i = 0; i < envelopes.Count; i++)
        {
            var recorded = envelopes[i]["description"];
            var problems = recorded is null
                ? (sdk[i]!["error"] is null ? ["the SDK now describes it: record it"] : [])
                : JsonDiff.Diff(recorded, sdk[i]!["description"]);
            problems.AddRange(JsonDiff.Diff(envelopes[i]["rustXdrJson"], rust[i]["json"]));
            failures.Add(i, (string)envelopes[i]["name"]!, problems);
        }

        var results = File["results"]!.AsArray().Select(r => r!).ToList();
        var rustResults = RustXdr.Decode(results.Select(r => ("TransactionResult", (string)r["xdr"]!)));
        for (var i = 0; i < results.Count; i++)
        {
            failures.Add(envelopes.Count + i, (string)results[i]["name"]!, JsonDiff.Diff(results[i]["rustXdrJson"], rustResults[i]["json"]));
        }

        failures.ThrowIfAny("recorded fidelity cases against the live oracles", envelopes.Count + results.Count);
    }

    [Theory]
    [InlineData("manage-sell-offer", EnvelopeType.Tx, 1)]
    [InlineData("manage-sell-offer-v0", EnvelopeType.TxV0, 1)]
    [InlineData("manage-sell-offer-fee-bumped", EnvelopeType.TxFeeBump, 2)]
    [InlineData("payment-then-manage-sell-offer", EnvelopeType.Tx, 2)]
    public void UnmodelledEnvelope_HasTheSdksHash_AndCountsItsFeeOperations(string name, EnvelopeType type, int feeOperations)
    {
        var vector = Envelope(name);
        Assert.NotNull(vector["rustXdrJson"]); // the Rust reference decodes it whole: a valid envelope
        var bytes = Convert.FromBase64String((string)vector["xdr"]!);
        var unsupported = Assert.IsType<XdrUnsupportedException>(Record.Exception(() => XdrCodec.Decode<TransactionEnvelope>(bytes)), exactMatch: false);

        var envelope = UnmodelledEnvelope.TryRead(bytes, unsupported);

        Assert.NotNull(envelope);
        Assert.Equal(type, envelope.Type);
        Assert.Equal(feeOperations, envelope.FeeOperations);
        Assert.Equal((string)vector["hash"]!, envelope.Hash(new Network((string)vector["network"]!)).ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(72)]
    public void UnmodelledEnvelope_WhoseSignaturesDoNotCloseIt_IsMalformedAfterAll(int cut)
    {
        var bytes = Convert.FromBase64String((string)Envelope("manage-sell-offer")["xdr"]!);
        var truncated = bytes[..^cut];
        var unsupported = Assert.IsType<XdrUnsupportedException>(Record.Exception(() => XdrCodec.Decode<TransactionEnvelope>(truncated)), exactMatch: false);
        Assert.Null(UnmodelledEnvelope.TryRead(truncated, unsupported));
    }

    [Fact]
    public void TxDecode_EmptySignedPayloadSigners_PrintWhatBothReferencesPrint_AndTheStreamGoesOn()
    {
        var signer = Envelope("set-options-signer-with-empty-signed-payload");
        var extra = Envelope("extra-signer-with-empty-signed-payload");
        var good = (string)Vectors.Load("envelopes.json")["vectors"]![0]!["xdr"]!;
        var (exit, lines) = Run(["tx", "decode", "--network", (string)signer["network"]!,
            (string)signer["xdr"]!, "not an envelope", (string)extra["xdr"]!, good]);

        Assert.Equal(4, lines.Count);
        Assert.Equal(1, exit); // the one bad line, and only that one
        Assert.Empty(JsonDiff.Diff(signer["description"], JsonNode.Parse(lines[0])));
        Assert.NotNull(JsonNode.Parse(lines[1])!["error"]);
        Assert.Empty(JsonDiff.Diff(extra["description"], JsonNode.Parse(lines[2])));
        Assert.Null(JsonNode.Parse(lines[3])!["error"]);

        // The Rust reference XDR prints the same StrKey for the same signer.
        var printed = (string)JsonNode.Parse(lines[0])!["operations"]![0]!["fields"]!["signer"]!["key"]!;
        var rust = signer["rustXdrJson"]!["tx"]!["tx"]!["operations"]![0]!["body"]!["set_options"]!["signer"]!["key"];
        Assert.Equal((string)rust!, printed);
        var printedExtra = (string)JsonNode.Parse(lines[2])!["preconditions"]!["extraSigners"]![0]!;
        var rustExtra = extra["rustXdrJson"]!["tx"]!["tx"]!["cond"]!["v2"]!["extra_signers"]![0];
        Assert.Equal((string)rustExtra!, printedExtra);
    }

    [Fact]
    public void TxDecode_OfMutatedEnvelopes_AnswersOneJsonObjectPerLine_WhateverTheLine()
    {
        var rng = new Random(15);
        var seeds = Envelopes.Select(e => (string)e["xdr"]!)
            .Concat(Vectors.Load("envelopes.json")["vectors"]!.AsArray().Select(v => (string)v!["xdr"]!))
            .Select(Convert.FromBase64String).ToList();
        var lines = new List<string>();
        foreach (var seed in seeds)
        {
            lines.Add(Convert.ToBase64String(seed));
            for (var i = 0; i < 100; i++)
            {
                var bytes = (byte[])seed.Clone();
                switch (rng.Next(3))
                {
                    case 0:
                        bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                        break;
                    case 1:
                        bytes = bytes[..rng.Next(1, bytes.Length)]; // never empty: blank lines are skipped
                        break;
                    default:
                        bytes = [.. bytes, .. new byte[rng.Next(1, 9)]];
                        break;
                }

                lines.Add(Convert.ToBase64String(bytes));
            }
        }

        using var output = new StringWriter();
        TxDecoder.Run(lines, new Network((string)Envelopes.First()["network"]!), output);

        var printed = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines.Count, printed.Length);
        Assert.All(printed, line =>
        {
            var json = Assert.IsType<JsonObject>(JsonNode.Parse(line));
            Assert.True(json.ContainsKey("error") ^ json.ContainsKey("hash"), line);
        });
    }

    [Fact]
    public void TxDecode_AnUnmodelledOperation_IsOneErrorLineSayingNotSupported()
    {
        var offer = Envelope("manage-sell-offer");
        var (exit, lines) = Run(["tx", "decode", "--network", (string)offer["network"]!, (string)offer["xdr"]!]);
        Assert.Equal(1, exit);
        var error = (string)JsonNode.Parse(Assert.Single(lines))!["error"]!;
        Assert.Contains("unsupported operation", error, StringComparison.Ordinal);
    }

    private static (int Exit, List<string> Lines) Run(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = CliApp.CreateRootCommand().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList());
    }
}
