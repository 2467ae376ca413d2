using System.CommandLine;
using System.Text.Json.Nodes;
using Watchtower.Cli;
using Watchtower.Conformance.Tests.Oracle;
using Watchtower.Conformance.Tests.Support;
using Watchtower.Stellar;

namespace Watchtower.Conformance.Tests;

/// <summary>`watchtower tx decode` and `watchtower keys generate`, run in-process through the CLI's command tree.</summary>
[Collection(OracleCollection.Name)]
public sealed class CliTests(OracleFixture oracle)
{
    [Fact]
    public void TxDecode_RoundTripsSdkEnvelopesByteForByte_AndPrintsTheSdksDescription()
    {
        var seed = RunSeed.For(nameof(TxDecode_RoundTripsSdkEnvelopesByteForByte_AndPrintsTheSdksDescription));
        var cases = oracle.Client.Call("generate", new JsonObject { ["seed"] = $"{seed}", ["count"] = 300 }).AsArray();
        var failures = new Failures();
        foreach (var group in cases.GroupBy(c => (string)c!["network"]!))
        {
            var inputs = group.ToList();
            var (exit, lines) = Run(["tx", "decode", "--network", group.Key, .. inputs.Select(c => (string)c!["xdr"]!)]);
            Assert.Equal(0, exit);
            Assert.Equal(inputs.Count, lines.Count);
            for (var i = 0; i < inputs.Count; i++)
            {
                var printed = JsonNode.Parse(lines[i])!;
                var problems = JsonDiff.Diff(inputs[i]!["description"], printed);
                if ((string?)printed["xdr"] != (string)inputs[i]!["xdr"]!)
                {
                    problems.Add("the printed xdr is not the input, byte for byte");
                }

                failures.Add(i, $"{group.Key} {inputs[i]!["xdr"]}", problems);
            }
        }

        failures.ThrowIfAny("tx decode of SDK envelopes", cases.Count);
    }

    [Fact]
    public void TxDecode_ReadsStdin_PrintsAnErrorObjectPerBadLine_AndExitsNonZero()
    {
        var vector = Vectors.Load("envelopes.json")["vectors"]![0]!;
        var good = (string)vector["xdr"]!;
        var stdin = $"{good}\n\nnot base64 at all\nAAAAAA==\n{good}\n";
        var original = Console.In;
        (int exit, List<string> lines) result;
        try
        {
            Console.SetIn(new StringReader(stdin));
            result = Run(["tx", "decode", "--network", "testnet", "-"]);
        }
        finally
        {
            Console.SetIn(original);
        }

        Assert.Equal(1, result.exit);
        Assert.Equal(4, result.lines.Count);
        Assert.Equal(JsonNode.Parse(result.lines[0])!.ToJsonString(), vector["description"]!.ToJsonString());
        Assert.NotNull(JsonNode.Parse(result.lines[1])!["error"]);
        Assert.NotNull(JsonNode.Parse(result.lines[2])!["error"]);
        Assert.Equal(result.lines[0], result.lines[3]);
    }

    [Fact]
    public void TxDecode_WithoutNetwork_IsAUsageError()
    {
        var (exit, _) = Run(["tx", "decode", "AAAA"]);
        Assert.NotEqual(0, exit);
    }

    [Fact]
    public void KeysGenerate_PrintsAFreshKeypairWhoseSeedDerivesItsAccountId()
    {
        var (exit, lines) = Run(["keys", "generate", "--json"]);
        Assert.Equal(0, exit);
        var printed = JsonNode.Parse(Assert.Single(lines))!;
        var pair = KeyPair.FromSecret((string)printed["secretSeed"]!);
        Assert.Equal((string)printed["accountId"]!, pair.AccountId.ToString());

        var (_, again) = Run(["keys", "generate"]);
        Assert.Equal(2, again.Count);
        var account = AccountId.Parse(again[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]);
        var seed = KeyPair.FromSecret(again[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(account, seed.AccountId);
        Assert.NotEqual(pair.AccountId, account);
    }

    private static (int Exit, List<string> Lines) Run(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = CliApp.CreateRootCommand().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        return (exit, lines);
    }
}
