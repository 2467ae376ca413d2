using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Wire;

/// <summary>
/// The durable form of a participant: its keys and its <see cref="ChannelState"/>. Pending
/// rounds are stored as their proposal plus signatures; transactions are rebuilt on load, so the
/// file never disagrees with the deterministic construction.
/// </summary>
public static class StateCodec
{
    private static ReadOnlySpan<byte> Magic => "WTCH"u8;

    private const byte Version = 2;

    public static byte[] Encode(ParticipantKeys keys, ChannelState state)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(state);
        var w = new WireWriter();
        foreach (var b in Magic)
        {
            w.U8(b);
        }

        w.U8(Version);
        w.String(keys.Wallet.Seed.ToString());
        w.String(keys.Version.Seed.ToString());
        w.String(keys.Ratchet.Seed.ToString());
        WriteParameters(w, state.Parameters);
        w.I32(state.Me);
        w.U8((byte)state.Phase);
        w.I64(state.LastSignedRound);
        w.Bool(state.Latest is not null);
        if (state.Latest is { } latest)
        {
            w.I64(latest.Round);
            w.Time(latest.Start);
            w.Bool(latest.Closing);
            PeerMessageCodec.WriteOutcome(w, latest.Outcome);
            w.List(latest.Snapshots, (x, e) => x.Xdr(e));
            w.Xdr(latest.Ratchet);
        }

        w.Bool(state.Pending is not null);
        if (state.Pending is { } p)
        {
            w.I64(p.Round);
            w.Time(p.Start);
            w.Bool(p.Closing);
            w.I32(p.Proposer);
            PeerMessageCodec.WriteOutcome(w, p.Outcome);
            w.Bool(p.RatchetsSigned);
            foreach (var s in p.SnapshotSignatures)
            {
                w.Bool(s is not null);
                if (s is { } set)
                {
                    PeerMessageCodec.WriteSignatures(w, set);
                }
            }

            foreach (var s in p.RatchetSignatures)
            {
                w.Bool(s is not null);
                if (s is not null)
                {
                    w.Xdr(s);
                }
            }
        }

        foreach (var s in state.FundingSignatures)
        {
            w.Bool(s is not null);
            if (s is { } set)
            {
                PeerMessageCodec.WriteSignatures(w, set);
            }
        }

        w.Bool(state.Funding is not null);
        if (state.Funding is { } funding)
        {
            w.Xdr(funding);
        }

        // Early messages are not kept: peers retransmit, and losing them loses no signed state.
        return w.ToArray();
    }

    public static (ParticipantKeys Keys, ChannelState State) Decode(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        foreach (var b in Magic)
        {
            if (r.U8() != b)
            {
                throw new WireFormatException("not a channel state file");
            }
        }

        var version = r.U8();
        if (version != Version)
        {
            throw new WireFormatException($"unsupported state version {version}");
        }

        var keys = new ParticipantKeys(Key(ref r), Key(ref r), Key(ref r));
        var parameters = ReadParameters(ref r);
        if (!parameters.Problems().IsEmpty)
        {
            throw new WireFormatException("stored channel parameters are invalid: " + string.Join("; ", parameters.Problems()));
        }

        var me = r.I32();
        var state = ChannelState.Create(parameters, me) with
        {
            Phase = (ChannelPhase)r.U8(),
            LastSignedRound = r.I64(),
        };
        if (r.Bool())
        {
            var round = r.I64();
            var start = r.Time();
            var closing = r.Bool();
            var outcome = PeerMessageCodec.ReadOutcome(ref r);
            var count = r.Count(PeerMessageCodec.MaxParticipants);
            var snapshots = ImmutableArray.CreateBuilder<TransactionEnvelope>(count);
            for (var i = 0; i < count; i++)
            {
                snapshots.Add(r.Xdr<TransactionEnvelope>());
            }

            state = state with { Latest = new CompletedRound(round, start, closing, outcome, snapshots.MoveToImmutable(), r.Xdr<TransactionEnvelope>()) };
        }

        if (r.Bool())
        {
            var round = r.I64();
            var start = r.Time();
            var closing = r.Bool();
            var proposer = r.I32();
            var outcome = PeerMessageCodec.ReadOutcome(ref r);
            var ratchetsSigned = r.Bool();
            var snapshotSignatures = new ImmutableArray<DecoratedSignature>?[parameters.Count];
            for (var k = 0; k < parameters.Count; k++)
            {
                snapshotSignatures[k] = r.Bool() ? PeerMessageCodec.ReadSignatures(ref r) : null;
            }

            var ratchetSignatures = new DecoratedSignature?[parameters.Count];
            for (var k = 0; k < parameters.Count; k++)
            {
                ratchetSignatures[k] = r.Bool() ? r.Xdr<DecoratedSignature>() : null;
            }

            state = state with { Pending = ChannelProtocol.Rebuild(state, round, start, closing, proposer, outcome, [.. snapshotSignatures], [.. ratchetSignatures], ratchetsSigned) };
        }

        var funding = new ImmutableArray<DecoratedSignature>?[parameters.Count];
        for (var k = 0; k < parameters.Count; k++)
        {
            funding[k] = r.Bool() ? PeerMessageCodec.ReadSignatures(ref r) : null;
        }

        state = state with { FundingSignatures = [.. funding] };
        if (r.Bool())
        {
            state = state with { Funding = r.Xdr<TransactionEnvelope>() };
        }

        r.End();
        if (!Enum.IsDefined(state.Phase) || me < 0 || me >= parameters.Count)
        {
            throw new WireFormatException("corrupt channel state");
        }

        return (keys, state);
    }

    public static void WriteParameters(WireWriter w, ChannelParameters p)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(p);
        w.String(p.Network.Passphrase);
        w.Account(p.Escrow);
        w.Seq(p.EscrowSetupSequence);
        w.Seq(p.InitialRatchetTarget);
        w.Span(p.Timeouts.SynchronyDelay);
        w.Span(p.Timeouts.TimeoutClaim);
        w.Span(p.Timeouts.TimeoutClaimDelay);
        w.Span(p.Timeouts.MaxRoundInterval);
        w.Span(p.Timeouts.MaxClockSkew);
        w.I64(p.FeePerOperation);
        w.Time(p.OpeningDeadline);
        w.List(p.Participants, (x, q) =>
        {
            x.Account(q.Wallet);
            x.Account(q.VersionAccount);
            x.Account(q.RatchetKey);
            x.Seq(q.VersionSequence);
            x.List(q.Deposits, (y, d) =>
            {
                y.Xdr(d.Asset);
                y.I64(d.Amount.Value);
            });
        });
    }

    public static ChannelParameters ReadParameters(ref WireReader r)
    {
        var network = new Network(r.String());
        var escrow = r.Account();
        var setup = r.Seq();
        var r0 = r.Seq();
        var timeouts = new ChannelTimeouts(r.Span(), r.Span(), r.Span(), r.Span(), r.Span());
        var fee = r.I64();
        if (fee is < 0 or > uint.MaxValue)
        {
            throw new WireFormatException($"fee {fee} out of range");
        }

        var deadline = r.Time();

        var n = r.Count(PeerMessageCodec.MaxParticipants);
        var participants = ImmutableArray.CreateBuilder<ChannelParticipant>(n);
        for (var i = 0; i < n; i++)
        {
            var wallet = r.Account();
            var version = r.Account();
            var ratchet = r.Account();
            var q = r.Seq();
            var count = r.Count(PeerMessageCodec.MaxOperationsPerSnapshot);
            var deposits = ImmutableArray.CreateBuilder<Deposit>(count);
            for (var k = 0; k < count; k++)
            {
                deposits.Add(new Deposit(r.Xdr<Asset>(), new Stroops(r.I64())));
            }

            participants.Add(new ChannelParticipant(wallet, version, ratchet, q, deposits.MoveToImmutable()));
        }

        return new ChannelParameters(network, escrow, setup, r0, participants.MoveToImmutable(), timeouts, (uint)fee, deadline);
    }

    private static KeyPair Key(ref WireReader r)
    {
        var text = r.String();
        try
        {
            return KeyPair.FromSecret(text);
        }
        catch (FormatException e)
        {
            throw new WireFormatException("invalid secret seed", e);
        }
    }
}
