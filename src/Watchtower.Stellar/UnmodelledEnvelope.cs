using System.Buffers.Binary;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>
/// A transaction envelope this codec cannot model (an operation type it does not know, a
/// liquidity-pool trust line, Soroban transaction data) but whose framing is sound: what a network
/// needs to refuse it as not supported instead of calling a valid envelope malformed. It holds
/// the envelope's hash and what the fee charged for a refusal depends on; nothing else is read.
/// </summary>
public sealed record UnmodelledEnvelope
{
    private const int SignatureSize = 4 + 4 + 64; // hint, length, ed25519 signature
    private readonly byte[] _hashed;

    private UnmodelledEnvelope(EnvelopeType type, long feeBid, int feeOperations, string reason, byte[] hashed)
    {
        Type = type;
        FeeBid = feeBid;
        FeeOperations = feeOperations;
        Reason = reason;
        _hashed = hashed;
    }

    public EnvelopeType Type { get; }

    /// <summary>The fee offered: the transaction's, or the fee bump's outer fee.</summary>
    public long FeeBid { get; }

    /// <summary>Operations the fee is counted over (a fee bump's inner operations plus one).</summary>
    public int FeeOperations { get; }

    /// <summary>What the codec does not model (its decoder's message).</summary>
    public string Reason { get; }

    /// <summary>The transaction hash: SHA-256 of network id, envelope type and the transaction's bytes.</summary>
    public TransactionHash Hash(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var payload = new byte[32 + 4 + _hashed.Length];
        network.NetworkId.Bytes.CopyTo(payload);
        var tagged = Type == EnvelopeType.TxFeeBump ? EnvelopeType.TxFeeBump : EnvelopeType.Tx;
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(32), (int)tagged);
        _hashed.CopyTo(payload, 36);
        return new TransactionHash(Hash256.Sha256(payload));
    }

    /// <summary>
    /// Reads <paramref name="xdr"/> when decoding it as a <see cref="TransactionEnvelope"/> failed with
    /// <paramref name="unsupported"/>. Null when its framing cannot be told apart from garbage: then it
    /// is malformed after all.
    /// </summary>
    public static UnmodelledEnvelope? TryRead(ReadOnlyMemory<byte> xdr, XdrUnsupportedException unsupported)
    {
        ArgumentNullException.ThrowIfNull(unsupported);
        try
        {
            return Read(xdr, unsupported.Message);
        }
        catch (XdrFormatException)
        {
            return null;
        }
    }

    private static UnmodelledEnvelope? Read(ReadOnlyMemory<byte> xdr, string reason)
    {
        var r = new XdrReader(xdr);
        var type = r.ReadInt32();
        // The body's operations cannot be walked, so where the transaction ends is found from the
        // other side: the envelope closes with its signature array, whose layout is fixed.
        if (SignaturesStart(xdr.Span) is not { } end)
        {
            return null;
        }

        switch (type)
        {
            case (int)EnvelopeType.TxV0:
            {
                r.ReadFixedOpaque(32);
                var (fee, ops) = ReadAfterSource(r, v0: true);
                // The hashed form of a V0 transaction is the V1 one: a KEY_TYPE_ED25519 muxed source.
                var hashed = new byte[4 + end - 4];
                xdr.Span[4..end].CopyTo(hashed.AsSpan(4));
                return r.Position <= end ? new UnmodelledEnvelope(EnvelopeType.TxV0, fee, ops, reason, hashed) : null;
            }

            case (int)EnvelopeType.Tx:
            {
                r.Read<MuxedAccount>();
                var (fee, ops) = ReadAfterSource(r, v0: false);
                return r.Position <= end ? new UnmodelledEnvelope(EnvelopeType.Tx, fee, ops, reason, xdr.Span[4..end].ToArray()) : null;
            }

            case (int)EnvelopeType.TxFeeBump:
            {
                r.Read<MuxedAccount>();
                var fee = r.ReadInt64();
                if (r.ReadInt32() != (int)EnvelopeType.Tx)
                {
                    return null;
                }

                r.Read<MuxedAccount>();
                var (_, ops) = ReadAfterSource(r, v0: false);
                return r.Position <= end ? new UnmodelledEnvelope(EnvelopeType.TxFeeBump, fee, ops + 1, reason, xdr.Span[4..end].ToArray()) : null;
            }

            default:
                return null;
        }
    }

    // Fee, sequence, preconditions, memo and the operation count: the fields before the first operation.
    private static (long Fee, int Operations) ReadAfterSource(XdrReader r, bool v0)
    {
        var fee = r.ReadUInt32();
        r.ReadInt64();
        if (v0)
        {
            if (r.ReadPresent())
            {
                r.Read<TimeBounds>();
            }
        }
        else
        {
            r.Read<Preconditions>();
        }

        r.Read<Memo>();
        var ops = r.ReadLength(Transaction.MaxOperations, 8, "operations");
        if (ops == 0)
        {
            throw new XdrFormatException("no operations");
        }

        return (fee, ops);
    }

    /// <summary>
    /// Where the closing DecoratedSignature array starts, if exactly one signature count fits the
    /// envelope's tail (count, then count × (hint, length 64, signature)); null otherwise.
    /// </summary>
    private static int? SignaturesStart(ReadOnlySpan<byte> xdr)
    {
        int? found = null;
        for (var n = 0; n <= TransactionEnvelope.MaxSignatures; n++)
        {
            var start = xdr.Length - 4 - (n * SignatureSize);
            if (start < 8)
            {
                break;
            }

            var fits = BinaryPrimitives.ReadUInt32BigEndian(xdr[start..]) == (uint)n;
            for (var i = 0; fits && i < n; i++)
            {
                fits = BinaryPrimitives.ReadUInt32BigEndian(xdr[(start + 4 + (i * SignatureSize) + 4)..]) == 64;
            }

            if (fits)
            {
                if (found is not null)
                {
                    return null;
                }

                found = start;
            }
        }

        return found;
    }
}
