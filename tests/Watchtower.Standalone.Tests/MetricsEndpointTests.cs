using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>GET /metrics: the network's own counters move with what happens on it.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_CountSubmissionsAppliedTransactionsAndCloses()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var server = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null }, time, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = server.HorizonUri };
        var root = server.Root;
        var seq = server.Inspect(e => e.GetAccount(root.AccountId)!.SeqNum);
        var good = new TransactionBuilder(root.AccountId, new SequenceNumber(seq))
            .AddOperation(new CreateAccountOperation(KeyPair.Random().AccountId, Stroops.FromLumens(10)))
            .BuildEnvelope().Sign(server.Network, root);
        var badSequence = new TransactionBuilder(root.AccountId, new SequenceNumber(seq + 5))
            .AddOperation(new CreateAccountOperation(KeyPair.Random().AccountId, Stroops.FromLumens(10)))
            .BuildEnvelope().Sign(server.Network, root);

        var refused = await http.PostAsync("transactions_async", new FormUrlEncodedContent([new("tx", badSequence.ToXdrBase64())]));
        Assert.False(refused.IsSuccessStatusCode);
        var queued = await http.PostAsync("transactions_async", new FormUrlEncodedContent([new("tx", good.ToXdrBase64())]));
        Assert.True(queued.IsSuccessStatusCode);
        Assert.Equal(1, Sample(await Scrape(http), "stellar_standalone_queue_transactions"));

        await http.PostAsync("admin/ledger/close", null);
        var text = await Scrape(http);

        Assert.Equal(1, Sample(text, "stellar_standalone_submissions_total{status=\"pending\"}"));
        Assert.Equal(1, Sample(text, "stellar_standalone_submissions_total{status=\"error\"}"));
        Assert.Equal(1, Sample(text, "stellar_standalone_transactions_applied_total{result=\"tx_success\"}"));
        Assert.Equal(1, Sample(text, "stellar_standalone_ledgers_closed_total"));
        Assert.Equal(2, Sample(text, "stellar_standalone_ledger_sequence"));
        Assert.Equal(0, Sample(text, "stellar_standalone_queue_transactions"));
        Assert.Equal(1, Sample(text, "stellar_standalone_ledger_close_duration_seconds_count"));
    }

    [Fact]
    public async Task TwoNetworksInOneProcess_DoNotShareSeries()
    {
        await using var first = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null }, TimeProvider.System, CancellationToken.None);
        await using var second = await StandaloneServer.StartAsync(new StandaloneOptions { CloseInterval = null }, TimeProvider.System, CancellationToken.None);
        await first.CloseLedgerAsync();
        await first.CloseLedgerAsync();
        using var http = new HttpClient { BaseAddress = second.HorizonUri };
        Assert.Equal(0, Sample(await Scrape(http), "stellar_standalone_ledgers_closed_total"));
    }

    private static Task<string> Scrape(HttpClient http) => http.GetStringAsync("metrics");

    private static double Sample(string exposition, string series)
    {
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no sample {series} in:\n{exposition}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
