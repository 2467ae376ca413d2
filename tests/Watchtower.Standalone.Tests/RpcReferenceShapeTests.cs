using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Tests;

/// <summary>
/// Every RPC method's result against the field names and JSON kinds stellar-rpc answers with
/// (Reference/rpc-responses.json, taken from stellar-rpc's own response types, not from what one SDK tolerates).
/// </summary>
public sealed class RpcReferenceShapeTests(RpcReferenceShapeTests.Responses responses) : IClassFixture<RpcReferenceShapeTests.Responses>
{
    private static readonly JsonObject Reference = JsonNode.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "rpc-responses.json")))!["methods"]!.AsObject();

    public static TheoryData<string> Methods => [.. Reference.Select(m => m.Key)];

    [Theory]
    [MemberData(nameof(Methods))]
    public void Result_HasStellarRpcsFieldNamesAndKinds(string method)
    {
        var problems = new List<string>();
        Compare(Reference[method]!, responses.Results[method], "result", problems);
        Assert.True(problems.Count == 0, $"{method}: {string.Join("; ", problems)}\n{responses.Results[method].ToJsonString()}");
    }

    [Fact]
    public void EveryServedMethod_HasAReference()
    {
        Assert.Equal(responses.Results.Keys.Order(StringComparer.Ordinal), Reference.Select(m => m.Key).Order(StringComparer.Ordinal));
    }

    private static void Compare(JsonNode reference, JsonNode? actual, string path, List<string> problems)
    {
        switch (reference)
        {
            case JsonObject shape when actual is JsonObject obj:
                foreach (var (rawName, kind) in shape)
                {
                    var optional = rawName.EndsWith('?');
                    var name = optional ? rawName[..^1] : rawName;
                    if (obj[name] is { } value)
                    {
                        Compare(kind!, value, $"{path}.{name}", problems);
                    }
                    else if (!optional)
                    {
                        problems.Add($"{path}.{name} is missing");
                    }
                }

                var known = shape.Select(p => p.Key.TrimEnd('?')).ToHashSet(StringComparer.Ordinal);
                problems.AddRange(obj.Where(p => !known.Contains(p.Key)).Select(p => $"{path}.{p.Key} is not a field of stellar-rpc's answer"));
                break;
            case JsonArray element when actual is JsonArray items:
                if (items.Count == 0)
                {
                    problems.Add($"{path} is empty: nothing to compare");
                }

                for (var i = 0; i < items.Count; i++)
                {
                    Compare(element[0]!, items[i], $"{path}[{i}]", problems);
                }

                break;
            case JsonValue kind:
                var expected = kind.GetValue<string>();
                var got = actual?.GetValueKind() switch
                {
                    JsonValueKind.String => "string",
                    JsonValueKind.Number => "number",
                    JsonValueKind.True or JsonValueKind.False => "boolean",
                    JsonValueKind.Array => "array",
                    JsonValueKind.Object => "object",
                    var other => other?.ToString() ?? "missing",
                };
                if (got != expected)
                {
                    problems.Add($"{path} is a {got}, stellar-rpc answers a {expected}");
                }

                break;
            default:
                problems.Add($"{path} is {actual?.GetValueKind().ToString() ?? "missing"}, expected {(reference is JsonArray ? "an array" : "an object")}");
                break;
        }
    }

    /// <summary>One network, one funded account, and the result of every method (and outcome) the reference lists.</summary>
    public sealed class Responses : IAsyncLifetime
    {
        private StandaloneServer? _server;

        public Dictionary<string, JsonNode> Results { get; } = [];

        public async Task InitializeAsync()
        {
            _server = await StandaloneServer.StartAsync(
                new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, TimeProvider.System, CancellationToken.None);
            using var http = new HttpClient { BaseAddress = _server.HorizonUri };
            var account = KeyPair.Random();
            var funded = JsonNode.Parse(await http.GetStringAsync($"friendbot?addr={account.AccountId}"))!;
            var hash = (string)funded["hash"]!;

            Results["getNetwork"] = await Call("getNetwork", null);
            Results["getHealth"] = await Call("getHealth", null);
            Results["getLatestLedger"] = await Call("getLatestLedger", null);
            Results["getLedgers"] = await Call("getLedgers", new JsonObject { ["startLedger"] = 1 });
            Results["getTransactions"] = await Call("getTransactions", new JsonObject { ["startLedger"] = 1 });
            Results["getTransaction"] = await Call("getTransaction", new JsonObject { ["hash"] = hash });
            Results["getTransaction NOT_FOUND"] = await Call("getTransaction", new JsonObject { ["hash"] = new string('0', 64) });
            Results["getLedgerEntries"] = await Call("getLedgerEntries", new JsonObject
            {
                ["keys"] = new JsonArray(XdrCodec.ToBase64(LedgerKey.Account(account.AccountId))),
            });
            Results["getFeeStats"] = await Call("getFeeStats", null);

            var seq = _server.Inspect(e => e.GetAccount(account.AccountId)!.SeqNum);
            var bump = new TransactionBuilder(account.AccountId, new SequenceNumber(seq))
                .AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).BuildEnvelope().Sign(_server.Network, account);
            Results["sendTransaction"] = await Call("sendTransaction", new JsonObject { ["transaction"] = bump.ToXdrBase64() });
            // The friendbot's own envelope again: its sequence number is used up.
            Results["sendTransaction ERROR"] = await Call("sendTransaction", new JsonObject { ["transaction"] = (string)funded["envelope_xdr"]! });
        }

        public async Task DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }

        private async Task<JsonNode> Call(string method, JsonObject? parameters)
        {
            using var http = new HttpClient();
            var body = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method };
            if (parameters is not null)
            {
                body["params"] = parameters;
            }

            var response = await http.PostAsync(_server!.RpcUri, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return answer["result"] ?? throw new InvalidOperationException($"{method} answered {answer.ToJsonString()}");
        }
    }
}
