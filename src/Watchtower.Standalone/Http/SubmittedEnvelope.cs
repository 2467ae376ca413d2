using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Http;

/// <summary>
/// What a submitted base64 envelope is to this network: one it models, a sound one it cannot model
/// (refused with txNOT_SUPPORTED, as Horizon and RPC answer a transaction core refuses), or malformed.
/// </summary>
internal abstract record SubmittedEnvelope
{
    private SubmittedEnvelope() { }

    public static SubmittedEnvelope Read(string base64)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException e)
        {
            return new Malformed(e.Message);
        }

        try
        {
            return new Modelled(XdrCodec.Decode<TransactionEnvelope>(bytes));
        }
        catch (XdrUnsupportedException e)
        {
            return UnmodelledEnvelope.TryRead(bytes, e) is { } unmodelled ? new Unmodelled(unmodelled, base64) : new Malformed(e.Message);
        }
        catch (FormatException e)
        {
            return new Malformed(e.Message);
        }
    }

    public sealed record Modelled(TransactionEnvelope Envelope) : SubmittedEnvelope;

    /// <summary>An envelope the codec cannot model, with its text as submitted (it cannot be re-encoded).</summary>
    public sealed record Unmodelled(UnmodelledEnvelope Envelope, string Xdr) : SubmittedEnvelope;

    public sealed record Malformed(string Reason) : SubmittedEnvelope;
}
