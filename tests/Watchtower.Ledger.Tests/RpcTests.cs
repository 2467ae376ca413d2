using System.Text.Json;
using Watchtower.Ledger.Rpc;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Ledger.Tests;

public class RpcTests
{
    [Fact]
    public async Task Stream_DeliversEveryLedgerWithAllTransactions_PagingAcrossLedgers()
    {
        var rpc = new FakeRpc();
        rpc.AddLedger(1, 0, 0);
        rpc.AddLedger(2, 140, 10);
        rpc.AddLedger(3, 0, 0);
        rpc.AddLedger(4, 1, 2);

        var got = await LedgerStream.Take(rpc.Client(pageSize: 64), 0, 4);

        Assert.Equal([1u, 2, 3, 4], got.Select(l => l.Header.Sequence));
        Assert.Equal([0, 150, 0, 3], got.Select(l => l.Transactions.Length));
        Assert.Equal(2, got[3].Transactions.Count(t => !t.Successful));
        Assert.Equal(250, got[0].Header.BaseFee);
        Assert.Equal(23u, got[0].Header.ProtocolVersion);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000005), got[0].Header.CloseTime);
    }

    [Fact]
    public async Task Stream_RefusesToSkipLedgersTheServerNoLongerHolds()
    {
        var rpc = new FakeRpc { Oldest = 3 };
        for (uint s = 3; s <= 5; s++)
        {
            rpc.AddLedger(s, 1, 0);
        }

        var e = await Assert.ThrowsAsync<LedgerHistoryUnavailableException>(() => LedgerStream.Take(rpc.Client(), 0, 1));

        Assert.Equal(1u, e.Wanted);
        Assert.Equal(3u, e.OldestAvailable);
    }

    [Fact]
    public void Transaction_DecodesAFailedTransactionWithItsToid()
    {
        var envelope = Samples.Ratchet(KeyPair.Random(), KeyPair.Random().AccountId, 9);
        var hash = envelope.Hash(Network.Standalone);
        using var doc = JsonDocument.Parse(Samples.Load("rpc-get-transactions.json", ("HASH", hash.ToString()), ("ENVELOPE", envelope.ToXdrBase64())));

        var tx = RpcJson.Transaction(doc.RootElement.GetProperty("result").GetProperty("transactions")[0]);

        Assert.Equal(hash, tx.Hash);
        Assert.False(tx.Successful);
        Assert.Equal(1888539u, tx.Ledger);
        Assert.Equal((((long)1888539 << 32) | (2 << 12)).ToString(System.Globalization.CultureInfo.InvariantCulture), tx.PagingToken);
    }

    [Fact]
    public void HeaderXdr_IsReadAsHistoryEntryOrBareHeader()
    {
        var entry = FakeRpc.HeaderHistoryEntry(77, 321);

        Assert.Equal(321u, LedgerHeaderXdr.TryRead(entry, 77)!.Value.BaseFee);
        Assert.Equal(321u, LedgerHeaderXdr.TryRead(entry[32..], 77)!.Value.BaseFee);
        Assert.Null(LedgerHeaderXdr.TryRead(entry, 78));
        Assert.Null(LedgerHeaderXdr.TryRead(entry[..40], 77));
    }
}
