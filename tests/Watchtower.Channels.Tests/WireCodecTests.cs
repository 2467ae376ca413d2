using Watchtower.Channels.Protocol;
using Watchtower.Channels.Wire;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

public class WireCodecTests
{
    [Fact]
    public void EveryMessageOfARound_RoundTripsExactly()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        h.Propose(1, h.Balances(110, 80, 110));
        var seen = 0;
        while (h.InFlight.Count > 0)
        {
            var m = h.InFlight[0].Message;
            var bytes = PeerMessageCodec.Encode(m);
            var back = PeerMessageCodec.Decode(bytes);
            Assert.Equal(bytes, PeerMessageCodec.Encode(back));
            Assert.Equal(m.GetType(), back.GetType());
            h.DeliverNext();
            seen++;
        }

        Assert.Empty(h.Errors);
        Assert.True(seen >= 14);
        var rejected = new RoundRejected(h.States[0].Channel, 2, 7, ProtocolErrorCode.PayoutDecreased, "no");
        Assert.Equal(rejected, PeerMessageCodec.Decode(PeerMessageCodec.Encode(rejected)));
    }

    [Fact]
    public void ProposalWithSignerChange_EqualsItselfAfterTheWire()
    {
        var h = new ProtocolHarness(2);
        var effects = h.Balances(100, 100).Effects;
        var outcome = new RoundOutcome(effects.SetItem(1, effects[1].Add(new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(h.Keys[1].Wallet.AccountId), 2)))));
        var back = (RoundProposal)PeerMessageCodec.Decode(PeerMessageCodec.Encode(new RoundProposal(h.States[0].Channel, 0, 4, h.Now, true, outcome)));
        Assert.True(back.Outcome.Equals(outcome));
        Assert.False(back.Outcome.Equals(h.Balances(100, 100)));
    }

    [Fact]
    public void FundingSignatures_RoundTrip()
    {
        var h = new ProtocolHarness(2);
        h.Propose(0, RoundOutcome.Refunds(h.Parameters));
        h.DeliverAll(m => m.Message is not FundingSignatures);
        var funding = h.InFlight.First(m => m.Message is FundingSignatures).Message;
        var back = (FundingSignatures)PeerMessageCodec.Decode(PeerMessageCodec.Encode(funding));
        Assert.Equal(((FundingSignatures)funding).Signatures.Select(Xdr), back.Signatures.Select(Xdr));
    }

    [Fact]
    public void UnknownVersion_IsRefused()
    {
        var h = new ProtocolHarness(2);
        var bytes = PeerMessageCodec.Encode(new RoundRejected(h.States[0].Channel, 1, 0, ProtocolErrorCode.BadSignature, "x"));
        bytes[0] = 2;
        Assert.Contains("version", Assert.Throws<WireFormatException>(() => PeerMessageCodec.Decode(bytes)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedOrExtendedFrames_FailWithWireFormatExceptionOnly()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        var bytes = PeerMessageCodec.Encode(h.InFlight[0].Message);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Throws<WireFormatException>(() => PeerMessageCodec.Decode(bytes.AsSpan(0, cut)));
        }

        Assert.Throws<WireFormatException>(() => PeerMessageCodec.Decode([.. bytes, 0]));
    }

    [Fact]
    public void RandomMutations_NeverEscapeAsAnythingButWireFormatException()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        var originals = h.InFlight.Select(m => PeerMessageCodec.Encode(m.Message)).ToList();
        var random = new Random(1234);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = originals[i % originals.Count].ToArray();
            for (var k = 0; k < 1 + random.Next(4); k++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                PeerMessageCodec.Decode(bytes);
            }
            catch (WireFormatException)
            {
            }
        }
    }

    [Fact]
    public void HugeCounts_AreRefusedBeforeAllocating()
    {
        var w = new WireWriter();
        w.U8(PeerMessageCodec.Version);
        w.U8(2);
        w.Account(KeyPair.Random().AccountId);
        w.I32(1);
        w.I64(1);
        w.I32(int.MaxValue);
        Assert.Contains("count", Assert.Throws<WireFormatException>(() => PeerMessageCodec.Decode(w.ToArray())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void State_RoundTripsWithAPendingRoundAndRebuildsItsTransactions()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        h.Propose(0, h.Balances(80, 110, 110));
        h.DeliverAll(m => m.Message is not RatchetSignatures || m.To != 1);
        var state = h.States[1];
        Assert.NotNull(state.Pending);
        var bytes = StateCodec.Encode(h.Keys[1], state);
        var (keys, back) = StateCodec.Decode(bytes);
        Assert.Equal(h.Keys[1].Ratchet.AccountId, keys.Ratchet.AccountId);
        Assert.Equal(bytes, StateCodec.Encode(keys, back));
        Assert.Equal(state.Latest!.Snapshots.Select(e => e.ToXdrBase64()), back.Latest!.Snapshots.Select(e => e.ToXdrBase64()));
        Assert.Equal(state.Pending!.SnapshotHashes.Select(Convert.ToHexString), back.Pending!.SnapshotHashes.Select(Convert.ToHexString));
        Assert.Equal(state.Pending.RatchetHashes.Select(Convert.ToHexString), back.Pending.RatchetHashes.Select(Convert.ToHexString));

        // The restored participant finishes the round as if nothing happened.
        h.States[1] = back;
        h.DeliverAll();
        Assert.Equal(1, h.States[1].Latest!.Round);
    }

    private static string Xdr(DecoratedSignature s) => Convert.ToBase64String(Watchtower.Stellar.Xdr.XdrCodec.Encode(s));
}
