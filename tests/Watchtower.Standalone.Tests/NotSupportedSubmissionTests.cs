using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Tests;

/// <summary>
/// A valid envelope with an operation the network does not model (issue 15): refused with
/// txNOT_SUPPORTED (a typed refusal with the envelope's hash and a valid result XDR) on Horizon and
/// RPC alike, never called malformed. The envelopes are built by the official SDK (Reference/fidelity.json).
/// </summary>
public sealed class NotSupportedSubmissionTests
{
    private static readonly JsonNode Vectors = JsonNode.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "fidelity.json")))!;

    public static TheoryData<string> Unmodelled =>
        ["manage-sell-offer", "manage-sell-offer-v0", "manage-sell-offer-fee-bumped", "payment-then-manage-sell-offer"];

    [Theory]
    [MemberData(nameof(Unmodelled))]
    public async Task Horizon_Submit_AnswersTransactionFailed_WithTxNotSupported(string name)
    {
        var (xdr, hash, expectedResult) = Case(name);
        await using var server = await Start();
        using var http = new HttpClient { BaseAddress = server.HorizonUri };

        var response = await http.PostAsync("transactions", Form(xdr));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://stellar.org/horizon-errors/transaction_failed", (string)problem["type"]!);
        Assert.Equal("tx_not_supported", (string)problem["extras"]!["result_codes"]!["transaction"]!);
        Assert.Null(problem["extras"]!["result_codes"]!["operations"]);
        Assert.Equal(expectedResult, (string)problem["extras"]!["result_xdr"]!);
        Assert.Equal(xdr, (string)problem["extras"]!["envelope_xdr"]!);
        Assert.Equal(hash, (string)problem["extras"]!["hash"]!);
        Assert.Equal(TransactionResultCode.TxNotSupported, XdrCodec.FromBase64<TransactionResult>(expectedResult).Code);
    }

    [Theory]
    [MemberData(nameof(Unmodelled))]
    public async Task Horizon_SubmitAsync_AnswersError_WithTheResultXdr(string name)
    {
        var (xdr, hash, expectedResult) = Case(name);
        await using var server = await Start();
        using var http = new HttpClient { BaseAddress = server.HorizonUri };

        var response = await http.PostAsync("transactions_async", Form(xdr));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("ERROR", (string)body["tx_status"]!);
        Assert.Equal(hash, (string)body["hash"]!);
        Assert.Equal(expectedResult, (string)body["error_result_xdr"]!);
    }

    [Theory]
    [MemberData(nameof(Unmodelled))]
    public async Task Rpc_SendTransaction_AnswersError_WithTxNotSupported(string name)
    {
        var (xdr, hash, expectedResult) = Case(name);
        await using var server = await Start();

        var answer = await Rpc(server, "sendTransaction", new JsonObject { ["transaction"] = xdr });

        Assert.Null(answer["error"]);
        Assert.Equal("ERROR", (string)answer["result"]!["status"]!);
        Assert.Equal(hash, (string)answer["result"]!["hash"]!);
        Assert.Equal(expectedResult, (string)answer["result"]!["errorResultXdr"]!);
        Assert.Equal(0, server.Inspect(e => e.PendingCount));
    }

    [Fact]
    public async Task ATruncatedEnvelope_IsStillMalformed_OnHorizonAndRpc()
    {
        var bytes = Convert.FromBase64String((string)Envelope("manage-sell-offer")["xdr"]!);
        var truncated = Convert.ToBase64String(bytes[..^4]);
        await using var server = await Start();
        using var http = new HttpClient { BaseAddress = server.HorizonUri };

        var response = await http.PostAsync("transactions", Form(truncated));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://stellar.org/horizon-errors/transaction_malformed",
            (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["type"]!);
        Assert.Equal(-32602, (int)(await Rpc(server, "sendTransaction", new JsonObject { ["transaction"] = truncated }))["error"]!["code"]!);
    }

    private static JsonNode Envelope(string name)
        => Vectors["envelopes"]!.AsArray().Single(e => (string)e!["name"]! == name)!;

    // The envelope, the SDK's hash of it, and the SDK-encoded txNOT_SUPPORTED result at the base fee per counted operation.
    private static (string Xdr, string Hash, string Result) Case(string name)
    {
        var e = Envelope(name);
        var fee = name is "manage-sell-offer" or "manage-sell-offer-v0" ? 100 : 200;
        var result = Vectors["results"]!.AsArray().Single(r => (string)r!["name"]! == $"tx-not-supported-fee-{fee}")!;
        return ((string)e["xdr"]!, (string)e["hash"]!, (string)result["xdr"]!);
    }

    private static Task<StandaloneServer> Start()
        => StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true, Passphrase = Network.Testnet.Passphrase },
            TimeProvider.System, CancellationToken.None);

    private static FormUrlEncodedContent Form(string xdr) => new([new("tx", xdr)]);

    private static async Task<JsonNode> Rpc(StandaloneServer server, string method, JsonObject parameters)
    {
        using var http = new HttpClient();
        var body = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = parameters };
        var response = await http.PostAsync(server.RpcUri, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
