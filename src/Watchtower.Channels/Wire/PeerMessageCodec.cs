using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Wire;

/// <summary>
/// Versioned binary encoding of <see cref="PeerMessage"/>: [version][kind][channel][sender][body].
/// Decoding checks every length and count before allocating and requires the whole input.
/// </summary>
public static class PeerMessageCodec
{
    public const byte Version = 1;
    public const int MaxParticipants = 64;
    public const int MaxOperationsPerSnapshot = 100;

    private enum Kind : byte
    {
        Proposal = 1,
        SnapshotSignatures = 2,
        RatchetSignatures = 3,
        FundingSignatures = 4,
        Rejected = 5,
        Resend = 6,
    }

    public static byte[] Encode(PeerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var w = new WireWriter();
        w.U8(Version);
        w.U8((byte)(message switch
        {
            RoundProposal => Kind.Proposal,
            SnapshotSignatures => Kind.SnapshotSignatures,
            RatchetSignatures => Kind.RatchetSignatures,
            FundingSignatures => Kind.FundingSignatures,
            RoundRejected => Kind.Rejected,
            ResendRequest => Kind.Resend,
            _ => throw new ArgumentException($"unknown message {message.GetType().Name}", nameof(message)),
        }));
        w.Account(message.Channel.Escrow);
        w.I32(message.Sender);
        switch (message)
        {
            case RoundProposal p:
                w.I64(p.Round);
                w.Time(p.Start);
                w.Bool(p.Closing);
                WriteOutcome(w, p.Outcome);
                break;
            case SnapshotSignatures s:
                w.I64(s.Round);
                WriteSignatures(w, s.Signatures);
                break;
            case RatchetSignatures r:
                w.I64(r.Round);
                WriteSignatures(w, r.Signatures);
                break;
            case FundingSignatures f:
                WriteSignatures(w, f.Signatures);
                break;
            case ResendRequest q:
                w.I64(q.Round);
                break;
            case RoundRejected x:
                w.I64(x.Round);
                w.I32((int)x.Code);
                w.String(x.Reason);
                break;
        }

        return w.ToArray();
    }

    public static PeerMessage Decode(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        var version = r.U8();
        if (version != Version)
        {
            throw new WireFormatException($"unsupported wire version {version}");
        }

        var kind = (Kind)r.U8();
        var channel = new ChannelId(r.Account());
        var sender = r.I32();
        if (sender < 0 || sender >= MaxParticipants)
        {
            throw new WireFormatException($"sender {sender} out of range");
        }

        PeerMessage message = kind switch
        {
            Kind.Proposal => new RoundProposal(channel, sender, Round(ref r), r.Time(), r.Bool(), ReadOutcome(ref r)),
            Kind.SnapshotSignatures => new SnapshotSignatures(channel, sender, Round(ref r), ReadSignatures(ref r)),
            Kind.RatchetSignatures => new RatchetSignatures(channel, sender, Round(ref r), ReadSignatures(ref r)),
            Kind.FundingSignatures => new FundingSignatures(channel, sender, ReadSignatures(ref r)),
            Kind.Resend => new ResendRequest(channel, sender, Round(ref r)),
            Kind.Rejected => new RoundRejected(channel, sender, Round(ref r), ErrorCode(ref r), r.String()),
            _ => throw new WireFormatException($"unknown message kind {(byte)kind}"),
        };
        r.End();
        return message;
    }

    public static void WriteOutcome(WireWriter w, RoundOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(outcome);
        w.I32(outcome.Effects.Length);
        foreach (var ops in outcome.Effects)
        {
            w.I32(ops.Length);
            foreach (var op in ops)
            {
                w.Xdr(op);
            }
        }
    }

    public static RoundOutcome ReadOutcome(ref WireReader r)
    {
        var n = r.Count(MaxParticipants);
        var effects = ImmutableArray.CreateBuilder<ImmutableArray<Operation>>(n);
        for (var i = 0; i < n; i++)
        {
            var count = r.Count(MaxOperationsPerSnapshot);
            var ops = ImmutableArray.CreateBuilder<Operation>(count);
            for (var k = 0; k < count; k++)
            {
                ops.Add(r.Xdr<Operation>());
            }

            effects.Add(ops.MoveToImmutable());
        }

        return new RoundOutcome(effects.MoveToImmutable());
    }

    public static void WriteSignatures(WireWriter w, ImmutableArray<DecoratedSignature> signatures)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.I32(signatures.IsDefault ? 0 : signatures.Length);
        foreach (var s in signatures.IsDefault ? [] : signatures)
        {
            w.Xdr(s);
        }
    }

    public static ImmutableArray<DecoratedSignature> ReadSignatures(ref WireReader r)
    {
        var count = r.Count(MaxParticipants + 1);
        var signatures = ImmutableArray.CreateBuilder<DecoratedSignature>(count);
        for (var i = 0; i < count; i++)
        {
            signatures.Add(r.Xdr<DecoratedSignature>());
        }

        return signatures.MoveToImmutable();
    }

    private static long Round(ref WireReader r)
    {
        var round = r.I64();
        return round >= 0 ? round : throw new WireFormatException($"negative round {round}");
    }

    private static ProtocolErrorCode ErrorCode(ref WireReader r)
    {
        var code = r.I32();
        return Enum.IsDefined((ProtocolErrorCode)code) ? (ProtocolErrorCode)code : throw new WireFormatException($"unknown error code {code}");
    }
}
