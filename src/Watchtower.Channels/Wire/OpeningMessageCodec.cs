using System.Collections.Immutable;
using Watchtower.Channels.Opening;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Wire;

/// <summary>
/// Versioned binary encoding of <see cref="OpeningMessage"/>: [marker 'O'][version][kind][body].
/// The marker differs from every <see cref="PeerMessageCodec"/> version byte, so a channel
/// runtime refuses a stray opening frame as malformed and vice versa.
/// </summary>
public static class OpeningMessageCodec
{
    public const byte Marker = (byte)'O';
    public const byte Version = 1;
    public const int MaxAddressLength = 255;
    public const int MaxReasonLength = 1024;

    private enum Kind : byte
    {
        Offer = 1,
        Accepted = 2,
        Ready = 3,
        Refused = 4,
    }

    /// <summary>Whether a frame claims to be an opening message (cheap, before decoding).</summary>
    public static bool IsOpeningFrame(ReadOnlySpan<byte> data) => data.Length > 0 && data[0] == Marker;

    public static byte[] Encode(OpeningMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var w = new WireWriter();
        w.U8(Marker);
        w.U8(Version);
        switch (message)
        {
            case OpeningOffer o:
                w.U8((byte)Kind.Offer);
                w.Account(o.Offer.Wallet);
                w.Account(o.Offer.VersionAccount);
                w.Account(o.Offer.RatchetKey);
                w.List(o.Offer.Deposits, (x, d) =>
                {
                    x.Xdr(d.Asset);
                    x.I64(d.Amount.Value);
                });
                w.String(o.Address);
                break;
            case OpeningAccepted a:
                w.U8((byte)Kind.Accepted);
                StateCodec.WriteParameters(w, a.Parameters);
                w.List(a.Addresses, (x, s) => x.String(s));
                break;
            case OpeningReady r:
                w.U8((byte)Kind.Ready);
                w.Account(r.Channel.Escrow);
                break;
            case OpeningRefused x:
                w.U8((byte)Kind.Refused);
                w.I32((int)x.Code);
                w.String(x.Reason.Length > MaxReasonLength ? x.Reason[..MaxReasonLength] : x.Reason);
                break;
            default:
                throw new ArgumentException($"unknown message {message.GetType().Name}", nameof(message));
        }

        return w.ToArray();
    }

    public static OpeningMessage Decode(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        if (r.U8() != Marker)
        {
            throw new WireFormatException("not an opening message");
        }

        var version = r.U8();
        if (version != Version)
        {
            throw new WireFormatException($"unsupported opening wire version {version}");
        }

        OpeningMessage message = (Kind)r.U8() switch
        {
            Kind.Offer => ReadOffer(ref r),
            Kind.Accepted => ReadAccepted(ref r),
            Kind.Ready => new OpeningReady(new ChannelId(r.Account())),
            Kind.Refused => new OpeningRefused(Code(ref r), Bounded(r.String(), MaxReasonLength, "reason")),
            var k => throw new WireFormatException($"unknown opening message kind {(byte)k}"),
        };
        r.End();
        return message;
    }

    private static OpeningOffer ReadOffer(ref WireReader r)
    {
        var wallet = r.Account();
        var version = r.Account();
        var ratchet = r.Account();
        var count = r.Count(PeerMessageCodec.MaxOperationsPerSnapshot);
        var deposits = ImmutableArray.CreateBuilder<Deposit>(count);
        for (var k = 0; k < count; k++)
        {
            var asset = r.Xdr<Asset>();
            var amount = r.I64();
            if (amount <= 0)
            {
                throw new WireFormatException($"deposit of {amount} stroops is not positive");
            }

            deposits.Add(new Deposit(asset, new Stroops(amount)));
        }

        var address = Bounded(r.String(), MaxAddressLength, "address");
        return new OpeningOffer(new ParticipantOffer(wallet, version, ratchet, deposits.MoveToImmutable()), address);
    }

    private static OpeningAccepted ReadAccepted(ref WireReader r)
    {
        var parameters = StateCodec.ReadParameters(ref r);
        var count = r.Count(PeerMessageCodec.MaxParticipants);
        var addresses = ImmutableArray.CreateBuilder<string>(count);
        for (var i = 0; i < count; i++)
        {
            addresses.Add(Bounded(r.String(), MaxAddressLength, "address"));
        }

        return new OpeningAccepted(parameters, addresses.MoveToImmutable());
    }

    private static OpeningErrorCode Code(ref WireReader r)
    {
        var code = r.I32();
        return Enum.IsDefined((OpeningErrorCode)code) ? (OpeningErrorCode)code : throw new WireFormatException($"unknown opening error code {code}");
    }

    private static string Bounded(string value, int max, string what) =>
        value.Length <= max ? value : throw new WireFormatException($"{what} longer than {max} characters");
}
