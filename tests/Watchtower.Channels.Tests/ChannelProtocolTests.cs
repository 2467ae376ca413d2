using Watchtower.Channels.Protocol;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

public class ChannelProtocolTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Opening_CompletesRoundZeroForEveryoneAndAssemblesAFullySignedFunding(int n)
    {
        var h = new ProtocolHarness(n);
        h.Propose(0, RoundOutcome.Refunds(h.Parameters));
        h.DeliverAll();

        Assert.Empty(h.Errors);
        var funding = h.Effects.Where(e => e.Action is FundingReady).Select(e => ((FundingReady)e.Action).Envelope).ToList();
        Assert.Equal(n, funding.Count);
        Assert.All(funding, f => Assert.Equal(funding[0], f));
        var hash = ChannelTransactions.Funding(h.Parameters).Hash(h.Parameters.Network);
        var signers = h.Parameters.Participants.Select(p => p.Wallet).Append(h.Parameters.Escrow).ToList();
        Assert.Equal(signers.Count, funding[0].Signatures.Length);
        Assert.Equal(signers.Count, SignatureVerifier.Weight(signers.Select(s => new Signer(new Ed25519SignerKey(s), 1)), hash.Bytes, funding[0].Signatures));

        for (var i = 0; i < n; i++)
        {
            var latest = h.States[i].Latest!;
            Assert.Equal(0, latest.Round);
            AssertFullySigned(h, i, latest);
        }
    }

    [Fact]
    public void FundingSignature_IsNeverGivenBeforeRoundZeroIsCompleteForTheSigner()
    {
        var h = new ProtocolHarness(3);
        h.Propose(0, RoundOutcome.Refunds(h.Parameters));
        // Hold back every ratchet signature addressed to participant 2.
        h.DeliverAll(m => !(m.To == 2 && m.Message is RatchetSignatures));
        Assert.Null(h.States[2].Latest);
        Assert.Null(h.States[2].FundingSignatures[2]);
        Assert.DoesNotContain(h.InFlight, m => m.From == 2 && m.Message is FundingSignatures);
        h.DeliverAll();
        Assert.NotNull(h.States[2].FundingSignatures[2]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void PaymentRound_BecomesFinalWithFullySignedSnapshotsAndRatchets(int n)
    {
        var h = new ProtocolHarness(n);
        h.Open();
        var balances = Enumerable.Repeat(100L, n).ToArray();
        balances[0] -= 30;
        balances[n - 1] += 30;
        h.Propose(0, h.Balances(balances));
        h.DeliverAll();

        Assert.Empty(h.Errors);
        for (var i = 0; i < n; i++)
        {
            var latest = h.States[i].Latest!;
            Assert.Equal(1, latest.Round);
            Assert.Null(h.States[i].Pending);
            AssertFullySigned(h, i, latest);
            Assert.Equal(70 * Stroops.PerLumen, latest.Outcome.PaidTo(h.Parameters.Participants[0].Wallet)[Asset.Native]);
        }
    }

    [Fact]
    public void RatchetSignatures_AreSentOnlyAfterEverySnapshotSignatureIsHeld()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        h.Propose(1, h.Balances(100, 90, 110));
        // Participant 0 receives the proposal and 1's signatures but not 2's.
        h.DeliverAll(m => m.To == 0 && m.From == 1);
        Assert.False(h.States[0].Pending!.HasAllSnapshotSignatures);
        Assert.False(h.States[0].Pending!.RatchetsSigned);
        Assert.DoesNotContain(h.InFlight, m => m.From == 0 && m.Message is RatchetSignatures);

        h.DeliverAll(m => m.To == 2);
        h.DeliverAll(m => m.To == 0 && m.From == 2 && m.Message is SnapshotSignatures);
        Assert.True(h.States[0].Pending!.RatchetsSigned);
        Assert.Contains(h.InFlight, m => m.From == 0 && m.Message is RatchetSignatures);
    }

    [Fact]
    public void RoundIsNotFinal_UntilEveryOtherRatchetSignatureArrives()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(80, 120));
        h.DeliverAll(m => m.Message is not RatchetSignatures || m.To != 0);
        Assert.Equal(1, h.States[1].Latest!.Round);
        Assert.Equal(0, h.States[0].Latest!.Round);
        Assert.NotNull(h.States[0].MonitorInput()!.Pending);
        h.DeliverAll();
        Assert.Equal(1, h.States[0].Latest!.Round);
        Assert.Null(h.States[0].MonitorInput()!.Pending);
    }

    [Fact]
    public void EarlyMessagesFromOtherLinks_AreKeptUntilTheProposalArrives()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        h.Propose(0, h.Balances(90, 110, 100));
        // 1 hears the proposal and answers before 2 hears anything.
        h.DeliverAll(m => m.To == 1);
        h.DeliverAll(m => m.To == 2 && m.From == 1);
        Assert.Null(h.States[2].Pending);
        Assert.NotEmpty(h.States[2].Deferred);
        h.DeliverAll();
        Assert.Empty(h.Errors);
        Assert.All(h.States, s => Assert.Equal(1, s.Latest!.Round));
    }

    [Fact]
    public void ProposalLoweringOurPayout_IsRefusedAndReportedToTheProposer()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(1, h.Balances(50, 150));
        h.DeliverNext(m => m.Message is RoundProposal);
        var (who, error) = Assert.Single(h.Errors);
        Assert.Equal(0, who);
        Assert.Equal(ProtocolErrorCode.PayoutDecreased, error.Code);
        var rejection = Assert.IsType<RoundRejected>(h.InFlight.Single(m => m.From == 0).Message);
        Assert.Equal(ProtocolErrorCode.PayoutDecreased, rejection.Code);
        h.DeliverAll();
        Assert.Equal(0, h.States[0].Latest!.Round);
        Assert.Equal(0, h.States[1].Latest!.Round);
    }

    public static TheoryData<string> HostileOutcomes => new()
    {
        "bump", "foreign-source", "exceeds", "merge-early", "set-options-early", "pay-escrow", "negative", "count", "empty",
    };

    [Theory]
    [MemberData(nameof(HostileOutcomes))]
    public void HostileSideEffects_AreNeverSigned(string kind)
    {
        var h = new ProtocolHarness(3);
        h.Open();
        var p = h.Parameters;
        var fair = h.Balances(100, 100, 100).Effects;
        var attacker = h.Keys[1].Wallet.AccountId;
        var effects = kind switch
        {
            "bump" => fair.SetItem(1, [new BumpSequenceOperation(p.RatchetTarget(9))]),
            "foreign-source" => fair.SetItem(1, [new PaymentOperation(attacker, Asset.Native, new Stroops(1)) { SourceAccount = h.Keys[0].Wallet.AccountId }]),
            "exceeds" => fair.SetItem(1, [new PaymentOperation(attacker, Asset.Native, new Stroops(201 * Stroops.PerLumen))]),
            "merge-early" => fair.SetItem(0, [new AccountMergeOperation(attacker)]),
            "set-options-early" => fair.SetItem(1, [new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(attacker), 3))]),
            "pay-escrow" => fair.SetItem(1, [new PaymentOperation(p.Escrow, Asset.Native, new Stroops(1))]),
            "negative" => fair.SetItem(1, [new PaymentOperation(attacker, Asset.Native, new Stroops(-5))]),
            "count" => fair.RemoveAt(2),
            "empty" => fair.SetItem(2, []),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var proposal = new RoundProposal(h.States[0].Channel, 1, 1, h.Now, false, new RoundOutcome(effects));
        var t = ChannelProtocol.Receive(h.States[0], h.Keys[0], 1, proposal, h.Now);
        Assert.False(t.Accepted);
        Assert.Same(h.States[0], t.State);
        Assert.DoesNotContain(t.Actions, a => a is Broadcast);
    }

    [Fact]
    public void ForgedSignature_IsRefusedWithBadSignature()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        h.DeliverNext(m => m.Message is RoundProposal);
        var signatures = ((SnapshotSignatures)h.InFlight.Single(m => m.To == 1 && m.Message is SnapshotSignatures).Message).Signatures;
        var stranger = KeyPair.Random();
        var forged = signatures.SetItem(0, new DecoratedSignature(h.Keys[0].Ratchet.AccountId.Hint, stranger.Sign(new byte[32])));
        var t = ChannelProtocol.Receive(h.States[1], h.Keys[1], 0, new SnapshotSignatures(h.States[1].Channel, 0, 1, forged), h.Now);
        Assert.Equal(ProtocolErrorCode.BadSignature, t.Error!.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public void ForgedSignatureAmongMany_IsRefused_NamingTheFirstBadSnapshot(int forgedAt)
    {
        // Among five snapshots' signatures the error must name the first bad one.
        var h = new ProtocolHarness(5);
        h.Open();
        h.Propose(0, h.Balances(90, 110, 100, 100, 100));
        h.DeliverNext(m => m.Message is RoundProposal && m.To == 1);
        var signatures = ((SnapshotSignatures)h.InFlight.Single(m => m.To == 1 && m.Message is SnapshotSignatures).Message).Signatures;
        var stranger = KeyPair.Random();
        var forged = signatures.SetItem(forgedAt, new DecoratedSignature(h.Keys[0].Ratchet.AccountId.Hint, stranger.Sign(new byte[32])));
        if (forgedAt < 4)
        {
            // A second bad signature later on must not be the one reported.
            forged = forged.SetItem(4, forged[forgedAt]);
        }

        var t = ChannelProtocol.Receive(h.States[1], h.Keys[1], 0, new SnapshotSignatures(h.States[1].Channel, 0, 1, forged), h.Now);
        Assert.Equal(ProtocolErrorCode.BadSignature, t.Error!.Code);
        Assert.Contains($"snapshot {forgedAt} ", t.Error.Message, StringComparison.Ordinal);
        Assert.Same(h.States[1], t.State);
    }

    [Fact]
    public void ValidSignatureWithAWrongHint_IsRefused()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        h.DeliverNext(m => m.Message is RoundProposal);
        var signatures = ((SnapshotSignatures)h.InFlight.Single(m => m.To == 1 && m.Message is SnapshotSignatures).Message).Signatures;
        var rehinted = signatures.SetItem(0, new DecoratedSignature(new SignatureHint(0xdeadbeef), signatures[0].Signature));
        var t = ChannelProtocol.Receive(h.States[1], h.Keys[1], 0, new SnapshotSignatures(h.States[1].Channel, 0, 1, rehinted), h.Now);
        Assert.Equal(ProtocolErrorCode.BadSignature, t.Error!.Code);
    }

    [Fact]
    public void SenderMismatchingItsLink_IsRefused()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        var proposal = new RoundProposal(h.States[0].Channel, 2, 1, h.Now, false, h.Balances(100, 100, 100));
        var t = ChannelProtocol.Receive(h.States[0], h.Keys[0], 1, proposal, h.Now);
        Assert.Equal(ProtocolErrorCode.UnknownParticipant, t.Error!.Code);
    }

    [Theory]
    [InlineData(-3, 0)] // start too far before ledger time: ratchet within D of expiry
    [InlineData(0, 2)] // start ahead of ledger time beyond the skew
    public void RoundStartOutOfRange_IsRefused(int hoursBefore, int minutesAhead)
    {
        var h = new ProtocolHarness(2);
        h.Open();
        var start = h.Now.AddHours(hoursBefore).AddMinutes(minutesAhead);
        var proposal = new RoundProposal(h.States[0].Channel, 1, 1, start, false, h.Balances(100, 100));
        var t = ChannelProtocol.Receive(h.States[0], h.Keys[0], 1, proposal, h.Now);
        Assert.Equal(ProtocolErrorCode.StartTimeOutOfRange, t.Error!.Code);
    }

    [Fact]
    public void RoundsAfterZero_WaitForFunding()
    {
        var h = new ProtocolHarness(2);
        h.Propose(0, RoundOutcome.Refunds(h.Parameters));
        h.DeliverAll();
        var t = h.Propose(0, h.Balances(90, 110));
        Assert.Equal(ProtocolErrorCode.NotFunded, t.Error!.Code);
    }

    [Fact]
    public void RoundZero_MustRefundTheDeposits()
    {
        var h = new ProtocolHarness(2);
        var t = h.Propose(0, h.Balances(150, 50));
        Assert.Equal(ProtocolErrorCode.PayoutDecreased, t.Error!.Code);
    }

    [Fact]
    public void ProposingWhileARoundIsPending_IsRefused_EvenBeforeAnyRatchetIsSigned()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        Assert.False(h.States[0].Pending!.RatchetsSigned);
        var again = h.Propose(0, h.Balances(80, 120));
        Assert.Equal(ProtocolErrorCode.RoundInProgress, again.Error!.Code);
        Assert.Equal(h.Balances(90, 110), h.States[0].Pending!.Outcome);

        // The peer signs the first proposal's ratchets at once: replacing it would have stranded it.
        h.DeliverAll();
        Assert.All(h.States, s => Assert.Equal(1, s.Latest!.Round));
        Assert.DoesNotContain(h.Errors, e => e.Participant == 1);
    }

    [Fact]
    public void RejectedRound_IsDropped_AndItsNumberNeverSignedAgainWithOtherContent()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(150, 50)); // lowers participant 1's payout: refused
        h.DeliverAll();
        Assert.Contains(h.Errors, e => e.Participant == 1 && e.Error.Code == ProtocolErrorCode.PayoutDecreased);
        Assert.Null(h.States[0].Pending);
        Assert.Equal(0, h.States[0].Latest!.Round);

        // Round 1 stays burnt for participant 0: it signed round 1's snapshots once.
        Assert.Equal(2, h.States[0].NextRound);
        var other = new RoundProposal(h.States[0].Channel, 1, 1, h.Now, false, h.Balances(80, 120));
        Assert.Equal(ProtocolErrorCode.UnexpectedRound, ChannelProtocol.Receive(h.States[0], h.Keys[0], 1, other, h.Now).Error!.Code);
        h.Propose(0, h.Balances(90, 110));
        Assert.Equal(2, h.States[0].Pending!.Round);
        h.DeliverAll();
        Assert.All(h.States, s => Assert.Equal(2, s.Latest!.Round));
    }

    [Fact]
    public void RoundWithSignedRatchets_CannotBeOvertakenOrDroppedByARejection()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        h.DeliverAll(m => m.Message is not RatchetSignatures); // both signed ratchets, none delivered
        Assert.True(h.States[1].Pending!.RatchetsSigned);
        var overtake = new RoundProposal(h.States[1].Channel, 0, 2, h.Now, false, h.Balances(80, 120));
        Assert.Equal(ProtocolErrorCode.RoundInProgress, ChannelProtocol.Receive(h.States[1], h.Keys[1], 0, overtake, h.Now).Error!.Code);
        var rejection = new RoundRejected(h.States[0].Channel, 1, 1, ProtocolErrorCode.PayoutDecreased, "late");
        Assert.Same(h.States[0], ChannelProtocol.Receive(h.States[0], h.Keys[0], 1, rejection, h.Now).State);
    }

    [Theory]
    [InlineData(2, 0, 1)]
    [InlineData(3, 1, 2)]
    [InlineData(3, 0, 2)]
    [InlineData(5, 1, 3)]
    public void CrossingProposals_LowerIndexWinsEverywhere_AndTheChannelGoesOn(int n, int low, int high)
    {
        var h = new ProtocolHarness(n);
        h.Open();
        var lowOutcome = h.Balances([.. Enumerable.Range(0, n).Select(i => i == low ? 90L : i == high ? 110L : 100L)]);
        var highOutcome = h.Balances([.. Enumerable.Range(0, n).Select(i => i == high ? 80L : i == low ? 120L : 100L)]);
        Assert.True(h.Propose(high, highOutcome).Accepted);
        Assert.True(h.Propose(low, lowOutcome).Accepted);

        // The higher proposer's messages reach everyone first, the worst order for the winner.
        h.DeliverAll(m => m.From == high);
        h.DeliverAll();

        Assert.All(h.States, s =>
        {
            Assert.Null(s.Pending);
            Assert.Equal(1, s.Latest!.Round);
            Assert.Equal(lowOutcome, s.Latest.Outcome);
        });
        Assert.True(h.Propose(high, h.Balances([.. Enumerable.Repeat(100L, n)])).Accepted);
        h.DeliverAll();
        Assert.All(h.States, s => Assert.Equal(2, s.Latest!.Round));
    }

    [Fact]
    public void CooperativeClose_SettlesTheLatestOutcomeImmediatelyAndEndsTheChannel()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        h.Propose(0, h.Balances(70, 130, 100));
        h.DeliverAll();
        var changed = h.Propose(2, h.Balances(60, 140, 100), closing: true);
        Assert.Equal(ProtocolErrorCode.CloseChangesOutcome, changed.Error!.Code);

        h.Propose(2, h.States[2].Latest!.Outcome, closing: true);
        h.DeliverAll();
        Assert.Single(h.Errors);
        foreach (var s in h.States)
        {
            Assert.Equal(ChannelPhase.Closing, s.Phase);
            Assert.True(s.Latest!.Closing);
            var minTime = ((TransactionV1Envelope)s.Latest.Snapshots[0]).Transaction.Preconditions.TimeBounds!.Value.MinTime;
            Assert.Equal((ulong)h.Now.ToUnixTimeSeconds(), minTime);
        }

        Assert.Equal(ProtocolErrorCode.ChannelClosed, h.Propose(0, h.Balances(70, 130, 100)).Error!.Code);
    }

    [Fact]
    public void Retransmissions_AreHarmless()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        var copies = h.InFlight.ToList();
        h.DeliverAll();
        h.InFlight.AddRange(copies.Where(c => c.Message is RoundProposal or SnapshotSignatures && c.To == 1).Take(1));
        h.DeliverAll();
        Assert.Equal(1, h.States[1].Latest!.Round);
    }

    [Fact]
    public void RestartedParticipant_CompletesTheRoundFromResentSignatures()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        h.Propose(0, h.Balances(90, 110, 100));
        // Participant 2 signs everything but loses every ratchet signature addressed to it (crash).
        h.DeliverAll(m => !(m.To == 2 && m.Message is RatchetSignatures));
        h.InFlight.RemoveAll(m => m.To == 2);
        Assert.Equal(0, h.States[2].Latest!.Round);
        Assert.Equal(1, h.States[0].Latest!.Round);

        h.Apply(2, ChannelProtocol.RequestResend(h.States[2], h.Keys[2]));
        h.DeliverAll();
        Assert.Empty(h.Errors);
        Assert.All(h.States, s => Assert.Equal(1, s.Latest!.Round));
    }

    [Fact]
    public void ResendRequest_NeverYieldsRatchetSignaturesNotYetGiven()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        h.DeliverNext(m => m.Message is RoundProposal); // 1 signed snapshots only, lacks 0's snapshot signatures
        h.InFlight.Clear();
        Assert.False(h.States[1].Pending!.RatchetsSigned);
        var t = ChannelProtocol.Receive(h.States[1], h.Keys[1], 0, new ResendRequest(h.States[1].Channel, 0, 1), h.Now);
        Assert.Contains(t.Actions, a => a is SendTo { Message: SnapshotSignatures });
        Assert.DoesNotContain(t.Actions, a => a is SendTo { Message: RatchetSignatures });
    }

    private static void AssertFullySigned(ProtocolHarness h, int i, CompletedRound round)
    {
        var p = h.Parameters;
        var network = p.Network;
        var ratchetKeys = p.Participants.Select(x => new Signer(new Ed25519SignerKey(x.RatchetKey), 1)).ToList();
        foreach (var snapshot in round.Snapshots)
        {
            Assert.Equal(p.Count, SignatureVerifier.Weight(ratchetKeys, snapshot.Hash(network).Bytes, snapshot.Signatures));
        }

        var ratchet = round.Ratchet;
        Assert.Equal(p.Count, SignatureVerifier.Weight(ratchetKeys, ratchet.Hash(network).Bytes, ratchet.Signatures));
        Assert.Equal(1, SignatureVerifier.Weight([new Signer(new Ed25519SignerKey(p.Participants[i].VersionAccount), 1)], ratchet.Hash(network).Bytes, ratchet.Signatures));
        Assert.Equal(p.Participants[i].VersionAccount, ((TransactionV1Envelope)ratchet).Transaction.Source.Account);
    }
}
