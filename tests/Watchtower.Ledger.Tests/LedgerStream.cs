namespace Watchtower.Ledger.Tests;

/// <summary>Reads the first ledgers of a client's stream, bounded in time so a stuck stream fails the test.</summary>
internal static class LedgerStream
{
    public static async Task<List<ClosedLedger>> Take(ILedgerClient client, uint after, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var got = new List<ClosedLedger>();
        await foreach (var ledger in client.StreamLedgersAsync(after, cts.Token))
        {
            got.Add(ledger);
            if (got.Count == count)
            {
                break;
            }
        }
        return got;
    }
}
