using System.Buffers.Binary;

namespace Watchtower.Ledger.Rpc;

/// <summary>The few LedgerHeader fields the client needs (protocol version, base fee), read straight from XDR.</summary>
internal readonly record struct LedgerHeaderFields(uint LedgerVersion, uint LedgerSeq, ulong CloseTime, uint BaseFee);

internal static class LedgerHeaderXdr
{
    /// <summary>
    /// RPC documents getLedgers' headerXdr as a LedgerHeaderHistoryEntry (hash + header) and
    /// getLatestLedger's as a bare LedgerHeader; accept either, recognised by the sequence it must carry.
    /// </summary>
    public static LedgerHeaderFields? TryRead(byte[] xdr, uint expectedSeq)
    {
        foreach (var offset in new[] { 32, 0 })
        {
            if (TryReadHeader(xdr, offset) is { } h && h.LedgerSeq == expectedSeq)
            {
                return h;
            }
        }
        return null;
    }

    private static LedgerHeaderFields? TryReadHeader(ReadOnlySpan<byte> b, int p)
    {
        try
        {
            var version = U32(b, ref p);
            p += 32; // previousLedgerHash
            p += 32; // scpValue.txSetHash
            var closeTime = BinaryPrimitives.ReadUInt64BigEndian(b[p..]);
            p += 8;
            var upgrades = U32(b, ref p);
            if (upgrades > 6)
            {
                return null;
            }
            for (var i = 0; i < upgrades; i++)
            {
                SkipOpaque(b, ref p, 128);
            }
            var ext = U32(b, ref p);
            if (ext == 1)
            {
                p += 4 + 32; // NodeID: key type + ed25519 key
                SkipOpaque(b, ref p, 64);
            }
            else if (ext != 0)
            {
                return null;
            }
            p += 32 + 32; // txSetResultHash, bucketListHash
            var seq = U32(b, ref p);
            p += 8 + 8 + 4 + 8; // totalCoins, feePool, inflationSeq, idPool
            var baseFee = U32(b, ref p);
            return new LedgerHeaderFields(version, seq, closeTime, baseFee);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static uint U32(ReadOnlySpan<byte> b, ref int p)
    {
        var v = BinaryPrimitives.ReadUInt32BigEndian(b[p..]);
        p += 4;
        return v;
    }

    private static void SkipOpaque(ReadOnlySpan<byte> b, ref int p, uint max)
    {
        var len = U32(b, ref p);
        if (len > max)
        {
            throw new ArgumentOutOfRangeException(nameof(b));
        }
        p += (int)((len + 3) & ~3u);
    }
}
