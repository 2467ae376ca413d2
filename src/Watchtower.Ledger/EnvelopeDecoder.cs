using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Ledger;

/// <summary>
/// Decodes the envelopes of closed ledgers. A real network carries operation types the core does
/// not model; such a transaction must still reach the tailer (its source accounts decide whether
/// a channel is touched), so it is delivered reduced to what precedes the operations — source,
/// fee, sequence (and a fee bump's fee source) — with no operations and no signatures. Its hash
/// stays the one the API reported.
/// </summary>
public static class EnvelopeDecoder
{
    public static TransactionEnvelope Decode(string base64)
    {
        try
        {
            return TransactionEnvelope.FromXdrBase64(base64);
        }
        catch (XdrUnsupportedException)
        {
            return Reduced(new XdrReader(Convert.FromBase64String(base64)));
        }
    }

    /// <summary>True when <paramref name="envelope"/> is a reduced stand-in (see the class summary).</summary>
    public static bool IsReduced(TransactionEnvelope envelope) => envelope switch
    {
        TransactionV1Envelope v1 => v1.Transaction.Operations.IsEmpty,
        FeeBumpEnvelope fb => IsReduced(fb.FeeBump.Inner),
        _ => false,
    };

    private static TransactionEnvelope Reduced(XdrReader r)
    {
        var type = r.ReadInt32();
        switch (type)
        {
            case (int)EnvelopeType.TxV0:
                var key = new AccountId(r.ReadFixedOpaque(32));
                return Header(key, r);
            case (int)EnvelopeType.Tx:
                return Header(r.Read<MuxedAccount>(), r);
            case (int)EnvelopeType.TxFeeBump:
                var feeSource = r.Read<MuxedAccount>();
                var fee = r.ReadInt64();
                var inner = Reduced(r);
                return new FeeBumpEnvelope(new FeeBumpTransaction(feeSource, fee, inner), []);
            default:
                throw new XdrFormatException($"unsupported envelope type {type}");
        }
    }

    private static TransactionV1Envelope Header(MuxedAccount source, XdrReader r)
    {
        var fee = r.ReadUInt32();
        var seq = new SequenceNumber(r.ReadInt64());
        return new TransactionV1Envelope(new Transaction(source, fee, seq, Preconditions.None, Memo.None, []), []);
    }
}
