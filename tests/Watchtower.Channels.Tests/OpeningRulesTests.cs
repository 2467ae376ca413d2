using Watchtower.Channels.Protocol;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>The pure rules of opening: the deadline, abandoning, and funding signatures repeated on resync.</summary>
public class OpeningRulesTests
{
    private static EscrowObservation Unfunded(ProtocolHarness h) => new(h.Parameters.EscrowSetupSequence, NOfN: false);

    [Fact]
    public void Round0_IsRefusedOnceTheOpeningDeadlineHasPassed()
    {
        var h = new ProtocolHarness(2);
        h.Now = h.Parameters.OpeningDeadline + TimeSpan.FromSeconds(1);
        var t = h.Propose(0, RoundOutcome.Refunds(h.Parameters));
        Assert.Equal(ProtocolErrorCode.OpeningExpired, t.Error?.Code);
        Assert.Null(h.States[0].Pending);
    }

    [Fact]
    public void Round0_MustLeaveV0ValidForDAfterTheDeadline()
    {
        // Started a second too early, v_0 would expire less than D after the funding could still land.
        var h = new ProtocolHarness(2);
        var earliest = h.Parameters.OpeningDeadline + h.Parameters.Timeouts.SynchronyDelay - h.Parameters.Timeouts.TimeoutClaim;
        var tooEarly = new RoundProposal(h.Parameters.Id, 0, 0, earliest - TimeSpan.FromSeconds(1), false, RoundOutcome.Refunds(h.Parameters));
        var refused = ChannelProtocol.Receive(h.States[1], h.Keys[1], 0, tooEarly, earliest);
        Assert.Equal(ProtocolErrorCode.StartTimeOutOfRange, refused.Error?.Code);

        var inTime = tooEarly with { Start = earliest };
        Assert.True(ChannelProtocol.Receive(h.States[1], h.Keys[1], 0, inTime, earliest).Accepted);
    }

    [Fact]
    public void Funding_ExpiresAtTheDeadline_OrWhenRsSequenceMovesWithoutIt()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        var s = h.States[1] with { Phase = ChannelPhase.Opening };
        var p = h.Parameters;
        Assert.Equal(FundingStatus.Submittable, ChannelProtocol.ObserveFunding(s, Unfunded(h), p.OpeningDeadline));
        Assert.Equal(FundingStatus.Expired, ChannelProtocol.ObserveFunding(s, Unfunded(h), p.OpeningDeadline + TimeSpan.FromSeconds(1)));
        Assert.Equal(FundingStatus.AwaitingSignatures, ChannelProtocol.ObserveFunding(s with { Funding = null }, Unfunded(h), p.OpeningDeadline));
        Assert.Equal(FundingStatus.Funded, ChannelProtocol.ObserveFunding(s, new(p.FundedEscrowSequence, NOfN: true), p.OpeningDeadline + TimeSpan.FromDays(9)));
        // The funding's sequence consumed by something else (or the funding failed on the ledger).
        Assert.Equal(FundingStatus.Expired, ChannelProtocol.ObserveFunding(s, new(p.FundedEscrowSequence, NOfN: false), p.OpeningDeadline));
        // Bumped by R's master key (or paid out by a last snapshot that handed R back): nothing to fund any more.
        Assert.Equal(FundingStatus.Expired, ChannelProtocol.ObserveFunding(s, new(p.InitialRatchetTarget + 5, NOfN: false), p.OpeningDeadline));
        Assert.Equal(FundingStatus.Expired, ChannelProtocol.ObserveFunding(s, new(null, NOfN: false), p.OpeningDeadline));
    }

    [Fact]
    public void Abandon_IsRefusedWhileOurFundingSignatureCanStillLand()
    {
        var h = new ProtocolHarness(3);
        h.Propose(0, RoundOutcome.Refunds(h.Parameters));
        // Participant 2 withholds its funding signature: 0 and 1 gave theirs and wait.
        h.DeliverAll(m => m.Message is not FundingSignatures || m.From != 2);
        var waiting = h.States[1];
        Assert.NotNull(waiting.FundingSignatures[1]);
        Assert.Null(waiting.Funding);

        var refused = ChannelProtocol.AbandonOpening(waiting, FundingStatus.AwaitingSignatures);
        Assert.Equal(ProtocolErrorCode.FundingStillValid, refused.Error?.Code);
        Assert.Same(waiting, refused.State);

        var abandoned = ChannelProtocol.AbandonOpening(waiting, FundingStatus.Expired);
        Assert.True(abandoned.Accepted);
        Assert.Equal(ChannelPhase.Abandoned, abandoned.State.Phase);
        // An abandoned channel takes no more messages.
        var late = ChannelProtocol.Receive(abandoned.State, h.Keys[1], 2, new FundingSignatures(h.Parameters.Id, 2, []), h.Now);
        Assert.Equal(ProtocolErrorCode.ChannelClosed, late.Error?.Code);
    }

    [Fact]
    public void Abandon_IsAllowedAtOnceIfWeNeverSignedFunding_AndNeverOnceFunded()
    {
        var h = new ProtocolHarness(2);
        Assert.True(ChannelProtocol.AbandonOpening(h.States[1], FundingStatus.AwaitingSignatures).Accepted);
        Assert.Equal(ProtocolErrorCode.AlreadyFunded, ChannelProtocol.AbandonOpening(h.States[1], FundingStatus.Funded).Error?.Code);
        h.Open();
        Assert.Equal(ProtocolErrorCode.AlreadyFunded, ChannelProtocol.AbandonOpening(h.States[1], FundingStatus.Expired).Error?.Code);
    }

    [Fact]
    public void Resync_RepeatsFundingSignaturesGivenWhileOpening_AndOnlyThen()
    {
        var h = new ProtocolHarness(2);
        var fresh = ChannelProtocol.RequestResend(h.States[1], h.Keys[1]);
        Assert.DoesNotContain(fresh.Actions, a => a is Broadcast { Message: FundingSignatures });

        h.Propose(0, RoundOutcome.Refunds(h.Parameters));
        h.DeliverAll(m => m.Message is not FundingSignatures);
        var mine = h.States[1].FundingSignatures[1]!.Value;

        // Our own restart re-broadcasts them; a peer's resend request gets them too.
        var own = ChannelProtocol.RequestResend(h.States[1], h.Keys[1]);
        Assert.Contains(own.Actions, a => a is Broadcast { Message: FundingSignatures f } && f.Signatures.SequenceEqual(mine));
        var asked = ChannelProtocol.Receive(h.States[1], h.Keys[1], 0, new ResendRequest(h.Parameters.Id, 0, 1), h.Now);
        Assert.Contains(asked.Actions, a => a is SendTo { Participant: 0, Message: FundingSignatures });

        // Once funding is confirmed the ledger speaks for itself.
        var open = ChannelProtocol.FundingConfirmed(h.States[1]);
        Assert.DoesNotContain(ChannelProtocol.RequestResend(open, h.Keys[1]).Actions, a => a is Broadcast { Message: FundingSignatures });
    }

    [Fact]
    public void LostFundingSignatures_AreRecoveredByResync_AndFundingAssembles()
    {
        var h = new ProtocolHarness(3);
        h.Propose(0, RoundOutcome.Refunds(h.Parameters));
        // Participant 2 crashes as its peers' funding signatures are in flight to it: they are lost.
        h.DeliverAll(m => m.Message is not FundingSignatures);
        h.InFlight.RemoveAll(m => m.Message is FundingSignatures && m.To == 2);
        h.DeliverAll();
        Assert.Null(h.States[2].Funding);

        h.Apply(2, ChannelProtocol.RequestResend(h.States[2], h.Keys[2]));
        h.DeliverAll();
        Assert.All(h.States, s => Assert.NotNull(s.Funding));
        Assert.Single(h.States.Select(s => s.Funding!.Hash(h.Parameters.Network)).Distinct());
    }
}
