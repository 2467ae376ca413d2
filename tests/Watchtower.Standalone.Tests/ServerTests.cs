using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>The HTTP host: admin clock, close loop on the injected clock, persistence, error shapes.</summary>
public sealed class ServerTests
{
    private static readonly StandaloneOptions OnDemand = new() { CloseInterval = null };

    private static async Task<JsonObject> Json(HttpResponseMessage r) => JsonNode.Parse(await r.Content.ReadAsStringAsync())!.AsObject();

    [Fact]
    public async Task AdminAdvance_MovesLedgerTimeAndCloses_AdminClose_ClosesNow()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var server = await StandaloneServer.StartAsync(OnDemand, time, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = server.HorizonUri };

        var closed = await Json(await http.PostAsync("admin/ledger/close", null));
        Assert.Equal(2, (int)closed["sequence"]!);
        Assert.Equal(1_800_000_000L, (long)closed["closeTime"]!);

        var advanced = await Json(await http.PostAsync("admin/clock/advance?seconds=86400", null));
        Assert.Equal(3, (int)advanced["sequence"]!);
        Assert.Equal(1_800_086_400L, (long)advanced["closeTime"]!);
        Assert.Equal(64, ((string)advanced["hash"]!).Length);

        var viaApi = await server.AdvanceClockAsync(TimeSpan.FromHours(1));
        Assert.Equal(4u, viaApi.Sequence);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_800_090_000), viaApi.CloseTime);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("admin/clock/advance?seconds=-5", null)).StatusCode);
        // The Date header is ledger time, offset included.
        var root = await http.GetAsync("");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_800_090_000), root.Headers.Date);
    }

    [Fact]
    public async Task CloseLoop_RunsOnTheInjectedClock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var server = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = TimeSpan.FromSeconds(5) }, time, CancellationToken.None);
        Assert.Equal(1u, server.Inspect(e => e.Latest.Sequence));
        // Advancing the fake clock (never the wall clock) is what closes ledgers.
        Assert.True(SpinWait.SpinUntil(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return server.Inspect(e => e.Latest.Sequence) >= 3;
        }, TimeSpan.FromSeconds(10)));
        Assert.InRange((long)server.Inspect(e => e.Latest.Header.CloseTime), time.GetUtcNow().ToUnixTimeSeconds() - 5, time.GetUtcNow().ToUnixTimeSeconds());
    }

    [Fact]
    public async Task State_SurvivesRestart_WithAccountsLedgersAndTransactions()
    {
        var path = Path.Combine(Path.GetTempPath(), $"standalone-{Guid.NewGuid():N}.json");
        var account = KeyPair.Random();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        string hash;
        uint sequence;
        try
        {
            await using (var first = await StandaloneServer.StartAsync(OnDemand with { StatePath = path, CloseOnSubmit = true }, time, CancellationToken.None))
            {
                using var http = new HttpClient { BaseAddress = first.HorizonUri };
                var funded = await Json(await http.GetAsync($"friendbot?addr={account.AccountId}"));
                hash = (string)funded["hash"]!;
                await first.AdvanceClockAsync(TimeSpan.FromDays(1));
                sequence = first.Inspect(e => e.Latest.Sequence);
            }

            Assert.False(File.Exists(path + ".tmp"));
            await using var second = await StandaloneServer.StartAsync(OnDemand with { StatePath = path }, time, CancellationToken.None);
            using var http2 = new HttpClient { BaseAddress = second.HorizonUri };
            Assert.Equal(sequence, second.Inspect(e => e.Latest.Sequence));
            var loaded = await Json(await http2.GetAsync($"accounts/{account.AccountId}"));
            Assert.Equal("10000.0000000", (string)loaded["balances"]![0]!["balance"]!);
            var tx = await Json(await http2.GetAsync($"transactions/{hash}"));
            Assert.True((bool)tx["successful"]!);
            // The restored clock offset keeps ledger time where it was: the next close is not earlier.
            var next = await second.CloseLedgerAsync();
            Assert.True(next.CloseTime >= DateTimeOffset.FromUnixTimeSeconds(1_800_086_400));
            Assert.Equal(sequence + 1, next.Sequence);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task CorruptStateFile_IsATypedError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"standalone-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, "{ not json");
        try
        {
            await Assert.ThrowsAsync<InvalidDataException>(() => StandaloneServer.StartAsync(OnDemand with { StatePath = path }, TimeProvider.System, CancellationToken.None));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Horizon_Errors_AreProblemJson()
    {
        await using var server = await StandaloneServer.StartAsync(OnDemand, TimeProvider.System, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = server.HorizonUri };
        var missing = await http.GetAsync($"accounts/{KeyPair.Random().AccountId}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);
        Assert.Equal("https://stellar.org/horizon-errors/not_found", (string)(await Json(missing))["type"]!);

        var malformed = await http.PostAsync("transactions", new FormUrlEncodedContent([new("tx", "AAAA")]));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("https://stellar.org/horizon-errors/transaction_malformed", (string)(await Json(malformed))["type"]!);

        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("ledgers?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("accounts/not-an-account")).StatusCode);
    }

    [Theory]
    [InlineData("[1,2]", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getTransaction\",\"params\":{\"hash\":5}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getLedgers\",\"params\":{\"startLedger\":\"x\"}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sendTransaction\",\"params\":{\"transaction\":\"AAAA\"}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}", -32601)]
    [InlineData("not json", -32700)]
    public async Task Rpc_BadRequests_GetJsonRpcErrors(string body, int code)
    {
        await using var server = await StandaloneServer.StartAsync(OnDemand, TimeProvider.System, CancellationToken.None);
        using var http = new HttpClient();
        var response = await http.PostAsync(server.RpcUri, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(code, (int)(await Json(response))["error"]!["code"]!);
    }

    [Theory]
    [InlineData("5s", 5000, false)]
    [InlineData("250ms", 250, false)]
    [InlineData("2m", 120000, false)]
    [InlineData("on-submit", null, true)]
    [InlineData("on-demand", null, false)]
    public void CloseIntervalSyntax_Parses(string text, int? millis, bool onSubmit)
    {
        Assert.True(CloseIntervalSyntax.TryApply(text, new StandaloneOptions(), out var o));
        Assert.Equal(millis is null ? null : TimeSpan.FromMilliseconds(millis.Value), o.CloseInterval);
        Assert.Equal(onSubmit, o.CloseOnSubmit);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("fast")]
    [InlineData("5h")]
    public void CloseIntervalSyntax_RejectsNonsense(string text) =>
        Assert.False(CloseIntervalSyntax.TryApply(text, new StandaloneOptions(), out _));
}
