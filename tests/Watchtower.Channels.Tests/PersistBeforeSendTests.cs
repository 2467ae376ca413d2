using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Channels.Wire;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

public class PersistBeforeSendTests
{
    /// <summary>
    /// At the moment any signature leaves a participant, its stored state already records having
    /// given it: a crash right after (or during) the send restarts into a state that knows it.
    /// </summary>
    [Fact]
    public async Task EverySignatureLeaves_OnlyAfterTheStateThatProducedItIsStored()
    {
        var h = new ProtocolHarness(3);
        var network = new InProcessNetwork(3);
        var stores = Enumerable.Range(0, 3).Select(_ => new InMemoryChannelStore()).ToArray();
        var checks = 0;
        var runtimes = new ParticipantRuntime[3];
        for (var i = 0; i < 3; i++)
        {
            var me = i;
            var transport = new CheckingTransport(network.Connect(i), message =>
            {
                var (_, stored) = StateCodec.Decode(stores[me].LoadAsync(CancellationToken.None).Result!);
                switch (message)
                {
                    case SnapshotSignatures s:
                        Assert.True(stored.LastSignedRound >= s.Round);
                        break;
                    case RatchetSignatures r:
                        Assert.True(stored.Latest?.Round >= r.Round || stored.Pending is { RatchetsSigned: true } p && p.Round == r.Round);
                        break;
                    case FundingSignatures:
                        Assert.NotNull(stored.FundingSignatures[me]);
                        break;
                }

                checks++;
            });
            runtimes[i] = await ParticipantRuntime.CreateAsync(h.Keys[i], h.States[i], transport, new NoLedger(), stores[i], new RecordingBundleSink(), CancellationToken.None);
        }

        async Task Pump()
        {
            int handled;
            do
            {
                handled = 0;
                foreach (var r in runtimes)
                {
                    handled += await r.DrainInboxAsync(h.Now, CancellationToken.None);
                }
            }
            while (handled > 0);
        }

        Assert.Null(await runtimes[0].ProposeAtAsync(RoundOutcome.Refunds(h.Parameters), false, h.Now, CancellationToken.None));
        await Pump();
        Assert.All(runtimes, r => Assert.NotNull(r.State.Funding));
        // Proposer: proposal, snapshot, ratchet and funding signatures; the others: the last three; each to 2 peers.
        Assert.Equal((4 + 3 + 3) * 2, checks);
    }

    private sealed class CheckingTransport(IPeerTransport inner, Action<PeerMessage> check) : IPeerTransport
    {
        public int Self => inner.Self;

        public ValueTask SendAsync(int to, ReadOnlyMemory<byte> payload, CancellationToken ct)
        {
            check(PeerMessageCodec.Decode(payload.Span));
            return inner.SendAsync(to, payload, ct);
        }

        public ValueTask<InboundFrame> ReceiveAsync(CancellationToken ct) => inner.ReceiveAsync(ct);

        public bool TryReceive(out InboundFrame? frame) => inner.TryReceive(out frame);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
