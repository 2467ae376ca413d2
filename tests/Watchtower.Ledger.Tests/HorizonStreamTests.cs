using Microsoft.Extensions.Logging;
using Watchtower.Ledger.Horizon;
using Xunit;

namespace Watchtower.Ledger.Tests;

public class HorizonStreamTests
{
    [Fact]
    public async Task Stream_DeliversEveryLedgerInOrder_WithAllTransactionsAcrossPages()
    {
        var horizon = new FakeHorizon();
        horizon.AddLedger(1, 0, 0);
        horizon.AddLedger(2, 3, 1);
        horizon.AddLedger(3, 420, 30);
        horizon.AddLedger(4, 0, 2);

        var got = await LedgerStream.Take(horizon.Client(pageSize: 200), 0, 4);

        Assert.Equal([1u, 2, 3, 4], got.Select(l => l.Header.Sequence));
        Assert.Equal([0, 4, 450, 2], got.Select(l => l.Transactions.Length));
        Assert.Equal(30, got[2].Transactions.Count(t => !t.Successful));
        Assert.All(got, l => Assert.All(l.Transactions, t => Assert.Equal(l.Header.Sequence, t.Ledger)));
    }

    [Fact]
    public async Task Stream_StartsAfterTheCursor()
    {
        var horizon = new FakeHorizon();
        for (uint s = 1; s <= 5; s++)
        {
            horizon.AddLedger(s, 1, 0);
        }

        var got = await LedgerStream.Take(horizon.Client(), 3, 2);

        Assert.Equal([4u, 5], got.Select(l => l.Header.Sequence));
    }

    [Fact]
    public async Task Stream_FillsAGapInTheEventStreamByPaging()
    {
        var horizon = new FakeHorizon();
        for (uint s = 1; s <= 6; s++)
        {
            horizon.AddLedger(s, 1, 1);
        }
        horizon.Visible = 3;
        horizon.StreamScripts.Enqueue([4, 6]);
        horizon.OnStreamOpened = () => horizon.Visible = 6;

        var got = await LedgerStream.Take(horizon.Client(), 0, 6);

        Assert.Equal([1u, 2, 3, 4, 5, 6], got.Select(l => l.Header.Sequence));
    }

    [Fact]
    public async Task Stream_ReconnectsFromTheLastPagingToken_AfterTheStreamDrops()
    {
        var horizon = new FakeHorizon();
        for (uint s = 1; s <= 3; s++)
        {
            horizon.AddLedger(s, 1, 0);
        }
        horizon.Visible = 1;
        horizon.StreamScripts.Enqueue([2]);
        horizon.StreamScripts.Enqueue([3]);

        var got = await LedgerStream.Take(horizon.Client(), 0, 3);

        Assert.Equal([1u, 2, 3], got.Select(l => l.Header.Sequence));
        var streamCursors = horizon.Http.Requests
            .Where(r => r.StartsWith("GET /ledgers?cursor=", StringComparison.Ordinal) && !r.Contains("limit", StringComparison.Ordinal))
            .ToList();
        Assert.Equal([$"GET /ledgers?cursor={HorizonLedgerClient.Cursor(1)}&order=asc", $"GET /ledgers?cursor={HorizonLedgerClient.Cursor(2)}&order=asc"], streamCursors);
    }

    [Fact]
    public async Task Stream_QuietForTheIdleTimeout_IsReopenedWithoutAWarning()
    {
        var horizon = new FakeHorizon();
        for (uint s = 1; s <= 3; s++)
        {
            horizon.AddLedger(s, 1, 0);
        }
        horizon.Visible = 1;
        horizon.StreamsHeldOpen = 1; // the first stream stays open and says nothing
        horizon.StreamScripts.Enqueue([]);
        horizon.StreamScripts.Enqueue([2, 3]);
        var opened = 0;
        horizon.OnStreamOpened = () => opened++;
        var log = new RecordingLogger();
        var client = new HorizonLedgerClient(new HttpClient(horizon.Http), new LedgerClientOptions
        {
            Url = FakeHorizon.Url,
            NetworkPassphrase = Stellar.Network.Standalone.Passphrase,
            RetryInitialDelay = TimeSpan.Zero,
            RetryMaxDelay = TimeSpan.Zero,
        }, TimeProvider.System, log) { StreamIdleTimeout = TimeSpan.FromMilliseconds(200) };

        var got = await LedgerStream.Take(client, 0, 3);

        Assert.Equal([1u, 2, 3], got.Select(l => l.Header.Sequence));
        Assert.Equal(2, opened);
        Assert.DoesNotContain(log.Levels, l => l >= LogLevel.Warning);
    }

    private sealed class RecordingLogger : ILogger<HorizonLedgerClient>
    {
        public System.Collections.Concurrent.ConcurrentQueue<LogLevel> Levels { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Levels.Enqueue(logLevel);
    }

    [Fact]
    public async Task Stream_RetriesALedgerWhoseTransactionListIsIncomplete()
    {
        var horizon = new FakeHorizon();
        horizon.AddLedger(1, 2, 1);
        horizon.ShortListings[1] = 2;

        var got = await LedgerStream.Take(horizon.Client(), 0, 1);

        Assert.Equal(3, got[0].Transactions.Length);
    }
}
