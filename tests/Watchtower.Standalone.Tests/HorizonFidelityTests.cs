using System.Net;
using System.Text.Json.Nodes;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>Horizon shapes that clients the project was not tuned to check (issue 15).</summary>
public sealed class HorizonFidelityTests
{
    private static readonly StandaloneOptions OnSubmit = new() { CloseInterval = null, CloseOnSubmit = true };

    [Fact]
    public async Task TransactionRecord_OfAMuxedSource_CarriesAccountMuxedAndFeeAccountMuxed_AsHorizonNamesThem()
    {
        await using var server = await StandaloneServer.StartAsync(OnSubmit, TimeProvider.System, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = server.HorizonUri };
        var a = await Fund(http);
        var muxed = new MuxedAccount(a.AccountId, 123);
        var envelope = new TransactionBuilder(muxed, Sequence(server, a))
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).BuildEnvelope().Sign(server.Network, a);

        var record = await Submit(http, envelope);

        Assert.Equal(a.AccountId.ToString(), (string)record["source_account"]!);
        Assert.Equal(muxed.ToString(), (string)record["account_muxed"]!);
        Assert.Equal("123", (string)record["account_muxed_id"]!);
        Assert.Equal(a.AccountId.ToString(), (string)record["fee_account"]!);
        Assert.Equal(muxed.ToString(), (string)record["fee_account_muxed"]!);
        Assert.Equal("123", (string)record["fee_account_muxed_id"]!);
        Assert.False(record.ContainsKey("source_account_muxed"));
        Assert.False(record.ContainsKey("source_account_muxed_id"));
        Assert.Equal(record.ToJsonString(), (await Get(http, $"transactions/{record["hash"]}")).ToJsonString());
    }

    [Fact]
    public async Task TransactionRecord_OfAFeeBumpWithAMuxedFeeSource_CarriesOnlyFeeAccountMuxed()
    {
        await using var server = await StandaloneServer.StartAsync(OnSubmit, TimeProvider.System, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = server.HorizonUri };
        var (a, b) = (await Fund(http), await Fund(http));
        var inner = new TransactionBuilder(a.AccountId, Sequence(server, a))
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).BuildEnvelope().Sign(server.Network, a);
        var payer = new MuxedAccount(b.AccountId, 420);
        var bump = FeeBumpTransaction.Wrap(inner, payer, 1000).ToEnvelope().Sign(server.Network, b);

        var record = await Submit(http, bump);

        Assert.Equal(a.AccountId.ToString(), (string)record["source_account"]!);
        Assert.False(record.ContainsKey("account_muxed"));
        Assert.False(record.ContainsKey("account_muxed_id"));
        Assert.Equal(b.AccountId.ToString(), (string)record["fee_account"]!);
        Assert.Equal(payer.ToString(), (string)record["fee_account_muxed"]!);
        Assert.Equal("420", (string)record["fee_account_muxed_id"]!);
    }

    [Fact]
    public async Task TransactionRecord_OfPlainAccounts_HasNoMuxedFields()
    {
        await using var server = await StandaloneServer.StartAsync(OnSubmit, TimeProvider.System, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = server.HorizonUri };
        var a = await Fund(http);
        var record = await Submit(http, new TransactionBuilder(a.AccountId, Sequence(server, a))
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).BuildEnvelope().Sign(server.Network, a));
        Assert.DoesNotContain(record, p => p.Key.Contains("muxed", StringComparison.Ordinal));
    }

    private static SequenceNumber Sequence(StandaloneServer server, KeyPair account)
        => new(server.Inspect(e => e.GetAccount(account.AccountId)!.SeqNum));

    private static async Task<KeyPair> Fund(HttpClient http)
    {
        var account = KeyPair.Random();
        (await http.GetAsync($"friendbot?addr={account.AccountId}")).EnsureSuccessStatusCode();
        return account;
    }

    private static async Task<JsonObject> Submit(HttpClient http, TransactionEnvelope envelope)
    {
        var response = await http.PostAsync("transactions", new FormUrlEncodedContent([new("tx", envelope.ToXdrBase64())]));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        return body;
    }

    private static async Task<JsonObject> Get(HttpClient http, string path)
        => JsonNode.Parse(await http.GetStringAsync(path))!.AsObject();
}
