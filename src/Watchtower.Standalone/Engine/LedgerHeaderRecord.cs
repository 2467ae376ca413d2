using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Engine;

/// <summary>
/// A closed ledger's header. <see cref="Hash"/> is SHA-256 of the LedgerHeader XDR, as in
/// stellar-core, so the chain of previous hashes is checkable from the XDR alone.
/// </summary>
public sealed record LedgerHeaderRecord(
    uint Sequence,
    ulong CloseTime,
    Hash256 PreviousHash,
    uint ProtocolVersion,
    long TotalCoins,
    long FeePool,
    uint BaseFee,
    uint BaseReserve,
    uint MaxTxSetSize,
    Hash256 TxSetHash,
    Hash256 TxSetResultHash)
{
    private byte[]? _xdr;
    private Hash256? _hash;

    public bool Equals(LedgerHeaderRecord? other) => other is not null && Hash == other.Hash;

    public override int GetHashCode() => Hash.GetHashCode();

    public DateTimeOffset CloseTimeUtc => DateTimeOffset.FromUnixTimeSeconds((long)CloseTime);

    /// <summary>The LedgerHeader XDR.</summary>
    public byte[] HeaderXdr => _xdr ??= Encode();

    public Hash256 Hash => _hash ??= Hash256.Sha256(HeaderXdr);

    /// <summary>LedgerHeaderHistoryEntry XDR: hash, header, ext.</summary>
    public byte[] HistoryEntryXdr()
    {
        var w = new XdrWriter(400);
        WriteHistoryEntry(w);
        return w.ToArray();
    }

    public void WriteHistoryEntry(XdrWriter w)
    {
        w.WriteFixedOpaque(Hash.Bytes);
        w.WriteFixedOpaque(HeaderXdr);
        w.WriteInt32(0);
    }

    private byte[] Encode()
    {
        var w = new XdrWriter(360);
        w.WriteUInt32(ProtocolVersion);
        w.WriteFixedOpaque(PreviousHash.Bytes);
        // StellarValue: txSetHash, closeTime, upgrades<6> (none), ext STELLAR_VALUE_BASIC.
        w.WriteFixedOpaque(TxSetHash.Bytes);
        w.WriteUInt64(CloseTime);
        w.WriteUInt32(0);
        w.WriteInt32(0);
        w.WriteFixedOpaque(TxSetResultHash.Bytes);
        w.WriteFixedOpaque(new byte[32]); // bucketListHash: no bucket list here
        w.WriteUInt32(Sequence);
        w.WriteInt64(TotalCoins);
        w.WriteInt64(FeePool);
        w.WriteUInt32(0); // inflationSeq
        w.WriteUInt64(0); // idPool
        w.WriteUInt32(BaseFee);
        w.WriteUInt32(BaseReserve);
        w.WriteUInt32(MaxTxSetSize);
        for (var i = 0; i < 4; i++)
        {
            w.WriteFixedOpaque(new byte[32]); // skipList
        }

        w.WriteInt32(0); // ext
        return w.ToArray();
    }
}
