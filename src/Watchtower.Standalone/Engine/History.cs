using System.Collections.Immutable;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Engine;

/// <summary>A transaction as it entered a ledger, with what the APIs report about it.</summary>
public sealed record TransactionRecord(
    TxFrame Frame,
    byte[] EnvelopeXdr,
    uint Ledger,
    int ApplicationOrder,
    DateTimeOffset CreatedAt,
    TransactionResult Result)
{
    public TransactionHash Hash => Frame.Hash;

    public bool Successful => Result.IsSuccess;

    /// <summary>Horizon's TOID: ledger &lt;&lt; 32 | application order &lt;&lt; 12 (operation 0).</summary>
    public long PagingToken => Toid.Of(Ledger, ApplicationOrder, 0);

    public byte[] ResultXdr => XdrCodec.Encode(Result);

    /// <summary>TransactionMeta v2 with one (empty) OperationMeta per applied operation: valid, but without ledger entry changes.</summary>
    public byte[] MetaXdr
    {
        get
        {
            var w = new XdrWriter(32);
            WriteMeta(w);
            return w.ToArray();
        }
    }

    public void WriteMeta(XdrWriter w)
    {
        w.WriteInt32(2);
        w.WriteUInt32(0); // txChangesBefore
        var ops = Successful ? Frame.Tx.Operations.Length : 0;
        w.WriteUInt32((uint)ops);
        for (var i = 0; i < ops; i++)
        {
            w.WriteUInt32(0); // OperationMeta.changes
        }

        w.WriteUInt32(0); // txChangesAfter
    }

    /// <summary>The empty LedgerEntryChanges used as fee meta.</summary>
    public static byte[] EmptyChangesXdr { get; } = [0, 0, 0, 0];
}

/// <summary>A closed ledger: its header and transactions in application order.</summary>
public sealed record LedgerRecord(LedgerHeaderRecord Header, ImmutableArray<TransactionRecord> Transactions)
{
    public uint Sequence => Header.Sequence;

    public int SuccessfulCount => Transactions.Count(t => t.Successful);

    public int FailedCount => Transactions.Length - SuccessfulCount;

    public int OperationCount => Transactions.Where(t => t.Successful).Sum(t => t.Frame.Tx.Operations.Length);

    public int TxSetOperationCount => Transactions.Sum(t => t.Frame.Tx.Operations.Length);

    public long PagingToken => Toid.Of(Sequence, 0, 0);

    /// <summary>LedgerCloseMeta v0 XDR: header entry, transaction set, per-transaction result and meta; no upgrades, no SCP info.</summary>
    public byte[] CloseMetaXdr()
    {
        var w = new XdrWriter(1024);
        w.WriteInt32(0);
        Header.WriteHistoryEntry(w);
        w.WriteFixedOpaque(Header.PreviousHash.Bytes);
        w.WriteUInt32((uint)Transactions.Length);
        foreach (var tx in Transactions)
        {
            w.WriteFixedOpaque(tx.EnvelopeXdr);
        }

        w.WriteUInt32((uint)Transactions.Length);
        foreach (var tx in Transactions)
        {
            w.WriteFixedOpaque(tx.Hash.Bytes);
            tx.Result.WriteXdr(w);
            w.WriteUInt32(0); // feeProcessing
            tx.WriteMeta(w);
        }

        w.WriteUInt32(0); // upgradesProcessing
        w.WriteUInt32(0); // scpInfo
        return w.ToArray();
    }
}

/// <summary>Horizon's total order id.</summary>
public static class Toid
{
    public static long Of(uint ledger, int txOrder, int opOrder) => ((long)ledger << 32) | ((long)txOrder << 12) | (long)opOrder;
}
