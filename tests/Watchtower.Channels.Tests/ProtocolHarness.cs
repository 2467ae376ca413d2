using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Tests;

/// <summary>
/// N participants running the pure protocol, with messages routed by hand (no ledger, no I/O).
/// Sequences are synthetic: what the ledger would have produced right after setup.
/// </summary>
internal sealed class ProtocolHarness
{
    public static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    public static readonly ChannelTimeouts Timeouts = new(
        SynchronyDelay: TimeSpan.FromHours(1),
        TimeoutClaim: TimeSpan.FromHours(3),
        TimeoutClaimDelay: TimeSpan.FromHours(1),
        MaxRoundInterval: TimeSpan.FromHours(2),
        MaxClockSkew: TimeSpan.FromMinutes(1));

    /// <summary>Funding stays valid this long after <see cref="T0"/>: round 0 started at T0 leaves v_0 valid for D after it.</summary>
    public static readonly TimeSpan OpeningWindow = Timeouts.TimeoutClaim - Timeouts.SynchronyDelay;

    public ProtocolHarness(int n, long depositLumens = 100)
    {
        Keys = [.. Enumerable.Range(0, n).Select(_ => new ParticipantKeys(KeyPair.Random(), KeyPair.Random(), KeyPair.Random()))];
        var setup = SequenceNumber.FromLedger(7);
        Parameters = new ChannelParameters(
            Network.Standalone,
            Keys[0].Ratchet.AccountId,
            setup,
            setup + 2,
            [.. Keys.Select((k, i) => new ChannelParticipant(
                k.Wallet.AccountId, k.Version.AccountId, k.Ratchet.AccountId, SequenceNumber.FromLedger((uint)(7 + i)),
                [new Deposit(Asset.Native, new Stroops(depositLumens * Stroops.PerLumen))]))],
            Timeouts,
            100,
            T0 + OpeningWindow).Validated();
        States = [.. Enumerable.Range(0, n).Select(i => ChannelState.Create(Parameters, i))];
        Now = T0;
    }

    public ImmutableArray<ParticipantKeys> Keys { get; }

    public ChannelParameters Parameters { get; }

    public ChannelState[] States { get; }

    public DateTimeOffset Now { get; set; }

    public int Count => States.Length;

    /// <summary>Messages in flight: (from, to, message).</summary>
    public List<(int From, int To, PeerMessage Message)> InFlight { get; } = [];

    public List<(int Participant, ProtocolAction Action)> Effects { get; } = [];

    public List<(int Participant, ProtocolError Error)> Errors { get; } = [];

    /// <summary>Participants whose inbound messages are dropped.</summary>
    public HashSet<int> Offline { get; } = [];

    public Transition Propose(int who, RoundOutcome outcome, bool closing = false)
    {
        var t = ChannelProtocol.Propose(States[who], Keys[who], outcome, closing, Now);
        Apply(who, t);
        return t;
    }

    public void Apply(int who, Transition t)
    {
        if (t.Error is { } e)
        {
            Errors.Add((who, e));
        }

        States[who] = t.State;
        foreach (var a in t.Actions)
        {
            switch (a)
            {
                case Broadcast b:
                    for (var k = 0; k < Count; k++)
                    {
                        if (k != who)
                        {
                            InFlight.Add((who, k, b.Message));
                        }
                    }

                    break;
                case SendTo s:
                    InFlight.Add((who, s.Participant, s.Message));
                    break;
                default:
                    Effects.Add((who, a));
                    break;
            }
        }
    }

    /// <summary>Deliver one message (FIFO per link is kept by taking the first in flight to a destination).</summary>
    public bool DeliverNext(Func<(int From, int To, PeerMessage Message), bool>? filter = null)
    {
        var index = InFlight.FindIndex(m => filter?.Invoke(m) ?? true);
        if (index < 0)
        {
            return false;
        }

        var (from, to, message) = InFlight[index];
        InFlight.RemoveAt(index);
        if (!Offline.Contains(to))
        {
            Apply(to, ChannelProtocol.Receive(States[to], Keys[to], from, message, Now));
        }

        return true;
    }

    public void DeliverAll(Func<(int From, int To, PeerMessage Message), bool>? filter = null)
    {
        while (DeliverNext(filter))
        {
        }
    }

    /// <summary>Round 0, funding signatures, funding confirmed.</summary>
    public void Open()
    {
        Propose(0, RoundOutcome.Refunds(Parameters));
        DeliverAll();
        for (var i = 0; i < Count; i++)
        {
            States[i] = ChannelProtocol.FundingConfirmed(States[i]);
        }
    }

    /// <summary>A payment outcome with explicit native balances in lumens.</summary>
    public RoundOutcome Balances(params long[] lumens) =>
        RoundOutcome.Payouts(Parameters, [.. lumens.Select(l => (IReadOnlyDictionary<Asset, long>)new Dictionary<Asset, long> { [Asset.Native] = l * Stroops.PerLumen })]);
}
