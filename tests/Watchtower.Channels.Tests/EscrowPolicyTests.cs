using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>
/// What R keeps after the last snapshot (its residual and its control) and whether every snapshot
/// can execute: a counterparty can neither take R's remainder from us nor make a snapshot that
/// pays us fail, and no participant signs a snapshot bound to fail.
/// </summary>
public class EscrowPolicyTests
{
    [Theory]
    [InlineData("raise-own-ratchet-weight")]
    [InlineData("add-own-wallet-signer")]
    [InlineData("drop-master-and-thresholds")]
    [InlineData("merge-into-proposer")]
    public void HandingRToTheProposer_IsRefusedWithEscrowControlTaken(string kind)
    {
        var h = new ProtocolHarness(2);
        h.Open();
        var bob = h.Keys[1];
        Operation[] grab = kind switch
        {
            "raise-own-ratchet-weight" => [new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(bob.Ratchet.AccountId), 2))],
            "add-own-wallet-signer" => [new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(bob.Wallet.AccountId), 2))],
            "drop-master-and-thresholds" => [new SetOptionsOperation(MasterWeight: 0, LowThreshold: 1, MedThreshold: 1, HighThreshold: 1)],
            "merge-into-proposer" => [new AccountMergeOperation(bob.Wallet.AccountId)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        // Bob even leaves Alice's payout whole and takes less himself: R's remainder is the prize.
        var t = Offer(h, from: 1, to: 0, WithLast(h.Balances(100, 99), grab));

        Assert.Equal(ProtocolErrorCode.EscrowControlTaken, t.Error?.Code);
        Assert.Same(h.States[0], t.State);
        Assert.DoesNotContain(t.Actions, a => a is Broadcast);
    }

    [Fact]
    public void HandingRToTheCounterparty_IsSignedAndCannotBeTakenBack()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        var toAlice = WithLast(h.Balances(100, 100), new SetOptionsOperation(MasterWeight: 2));
        Complete(h, proposer: 1, toAlice);
        Assert.Equal(EscrowControl.Exclusive, toAlice.ValueFor(h.Parameters, 0).Control);
        Assert.Equal(EscrowControl.Lost, toAlice.ValueFor(h.Parameters, 1).Control);

        var back = Offer(h, from: 1, to: 0, h.Balances(100, 100));
        Assert.Equal(ProtocolErrorCode.EscrowControlTaken, back.Error?.Code);
    }

    [Fact]
    public void MergeIntoOneParticipant_IsRefusedByTheOthersItTakesAVetoFrom()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        var toAlice = WithLast(h.Balances(100, 100, 100), new AccountMergeOperation(h.Keys[0].Wallet.AccountId));

        Assert.Null(Offer(h, from: 1, to: 0, toAlice).Error);
        Assert.Equal(ProtocolErrorCode.EscrowControlTaken, Offer(h, from: 1, to: 2, toAlice).Error?.Code);
    }

    [Fact]
    public void JointResidual_IsNeverPaidToSomeoneElse()
    {
        var h = new ProtocolHarness(3);
        h.Open();
        // Carol leaves 30 XLM of her own in R: now under everyone's veto.
        Complete(h, proposer: 2, h.Balances(100, 100, 70));
        Assert.Equal(30 * Stroops.PerLumen, h.States[0].Latest!.Outcome.ValueFor(h.Parameters, 0).Residual[Asset.Native]);

        var toBob = h.Balances(100, 130, 70);
        Assert.Equal(ProtocolErrorCode.ResidualTaken, Offer(h, from: 1, to: 0, toBob).Error?.Code);
        Assert.Equal(ProtocolErrorCode.ResidualTaken, Offer(h, from: 1, to: 2, toBob).Error?.Code);

        var toAlice = h.Balances(130, 100, 70);
        Assert.Null(Offer(h, from: 1, to: 0, toAlice).Error);
        Assert.Equal(ProtocolErrorCode.ResidualTaken, Offer(h, from: 1, to: 2, toAlice).Error?.Code);
    }

    [Fact]
    public void ResidualMergedIntoUs_CanOnlyTurnIntoOurOwnPayout()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        var merge = new AccountMergeOperation(h.Keys[0].Wallet.AccountId);
        Complete(h, proposer: 1, WithLast(h.Balances(100, 80), merge));

        Assert.Equal(ProtocolErrorCode.ResidualTaken, Offer(h, from: 1, to: 0, WithLast(h.Balances(100, 100), merge)).Error?.Code);
        Assert.Null(Offer(h, from: 1, to: 0, WithLast(h.Balances(110, 80), merge)).Error);
    }

    [Theory]
    [InlineData("create-account")]
    [InlineData("pay-another-account")]
    public void PayoutSharingASnapshotWithAnOperationOthersCanFail_IsRefused(string kind)
    {
        var h = new ProtocolHarness(2);
        h.Open();
        var stranger = KeyPair.Random().AccountId;
        Operation extra = kind == "create-account"
            ? new CreateAccountOperation(stranger, Stroops.FromLumens(1))
            : new PaymentOperation(stranger, Asset.Native, Stroops.FromLumens(1));
        // Bob pays for the extra operation and leaves Alice's payout whole.
        var fromBob = h.Balances(100, 99);
        var t = Offer(h, from: 1, to: 0, new RoundOutcome(fromBob.Effects.SetItem(0, fromBob.Effects[0].Add(extra))));
        Assert.Equal(ProtocolErrorCode.PayoutAtRisk, t.Error?.Code);

        // Alice may take that risk herself; once she did, repeating it is no new risk.
        var fromAlice = h.Balances(99, 100);
        var chosen = new RoundOutcome(fromAlice.Effects.SetItem(0, fromAlice.Effects[0].Add(extra)));
        Complete(h, proposer: 0, chosen);
        Assert.Null(Offer(h, from: 1, to: 0, chosen).Error);
    }

    [Theory]
    [InlineData("merge-with-trust-line-left", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("merge-with-data-left", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("remove-trust-line-still-funded", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("remove-unknown-trust-line", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("remove-missing-data", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("threshold-out-of-range", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("own-key-as-signer", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("signer-without-reserve", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("spend-the-reserve-of-an-added-signer", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("create-existing-wallet", ProtocolErrorCode.SnapshotWouldFail)]
    [InlineData("set-flags", ProtocolErrorCode.ForbiddenOperation)]
    [InlineData("pay-from-removed-trust-line", ProtocolErrorCode.OutcomeExceedsFunds)]
    public void SnapshotBoundToFail_IsRefusedByEveryone(string kind, ProtocolErrorCode expected)
    {
        var (parameters, usd, alice, bob) = CreditChannel();
        var other = KeyPair.Random().AccountId;
        var payAlice = ImmutableArray.Create<Operation>(Pay(alice, Asset.Native, 100), Pay(alice, usd, 50));
        ImmutableArray<Operation> last = kind switch
        {
            "merge-with-trust-line-left" => [Pay(bob, Asset.Native, 100), new AccountMergeOperation(alice)],
            "merge-with-data-left" => [Pay(bob, Asset.Native, 99), new ManageDataOperation("k", [1]), new ChangeTrustOperation(usd, 0), new AccountMergeOperation(alice)],
            "remove-trust-line-still-funded" => [Pay(bob, Asset.Native, 100), new ChangeTrustOperation(usd, 0)],
            "remove-unknown-trust-line" => [Pay(bob, Asset.Native, 100), new ChangeTrustOperation(Asset.Credit("EUR", other), 0)],
            "remove-missing-data" => [Pay(bob, Asset.Native, 100), new ManageDataOperation("k", null)],
            "threshold-out-of-range" => [Pay(bob, Asset.Native, 100), new SetOptionsOperation(HighThreshold: 256)],
            "own-key-as-signer" => [Pay(bob, Asset.Native, 100), new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(parameters.Escrow), 1))],
            "signer-without-reserve" => [Pay(bob, Asset.Native, 100), new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(other), 1))],
            "spend-the-reserve-of-an-added-signer" => [new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(other), 1)), Pay(bob, Asset.Native, 100)],
            "create-existing-wallet" => [Pay(bob, Asset.Native, 99), new CreateAccountOperation(bob, Stroops.FromLumens(1))],
            "set-flags" => [Pay(bob, Asset.Native, 100), new SetOptionsOperation(SetFlags: 1)],
            "pay-from-removed-trust-line" => [Pay(bob, Asset.Native, 100), new ChangeTrustOperation(usd, 0), Pay(bob, usd, 1)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        if (kind == "remove-trust-line-still-funded")
        {
            payAlice = payAlice.SetItem(1, Pay(alice, usd, 49));
        }

        var error = OutcomeRules.Check(parameters, new RoundOutcome([payAlice, last]));

        Assert.Equal(expected, error?.Code);
        if (kind == "merge-with-data-left")
        {
            Assert.Contains("data entr", error!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MergeAfterRemovingTrustLines_IsValidAndSignersNeedNotBeRemoved()
    {
        var (parameters, usd, alice, bob) = CreditChannel();
        ImmutableArray<Operation> payAlice = [Pay(alice, Asset.Native, 100), Pay(alice, usd, 50)];
        var keepSigners = new RoundOutcome([payAlice, [Pay(bob, Asset.Native, 100), new ChangeTrustOperation(usd, 0), new AccountMergeOperation(alice)]]);
        var dropSigners = new RoundOutcome([payAlice, [
            Pay(bob, Asset.Native, 100),
            new SetOptionsOperation(Signer: new Signer(new Ed25519SignerKey(parameters.Participants[1].RatchetKey), 0)),
            new SetOptionsOperation(MasterWeight: 0),
            new ChangeTrustOperation(usd, 0),
            new AccountMergeOperation(alice)]]);

        foreach (var outcome in new[] { keepSigners, dropSigners })
        {
            Assert.Null(OutcomeRules.Check(parameters, outcome));
            Assert.Equal(alice, OutcomeRules.End(parameters, outcome)!.MergedInto);
            Assert.Equal(EscrowControl.Exclusive, outcome.ValueFor(parameters, 0).Control);
            Assert.Equal(EscrowControl.Lost, outcome.ValueFor(parameters, 1).Control);
        }
    }

    [Fact]
    public void FundedEscrow_IsUnderEveryonesVetoWithTheUnpaidDepositsAsResidual()
    {
        var (parameters, usd, alice, bob) = CreditChannel();
        var outcome = new RoundOutcome([[Pay(alice, Asset.Native, 60), Pay(alice, usd, 45)], [Pay(bob, Asset.Native, 100)]]);
        for (var i = 0; i < 2; i++)
        {
            var value = outcome.ValueFor(parameters, i);
            Assert.Equal(EscrowControl.Veto, value.Control);
            Assert.Equal(40 * Stroops.PerLumen, value.Residual[Asset.Native]);
            Assert.Equal(5 * Stroops.PerLumen, value.Residual[usd]);
            Assert.Equal(value.Explicit.GetValueOrDefault(usd), value.Claim(usd));
            Assert.Equal(value.Explicit.GetValueOrDefault(usd) + (5 * Stroops.PerLumen), value.Stake(usd));
        }
    }

    [Fact]
    public void CreditPayoutInAnAssetWeDidNotDeposit_PutsTheRestOfOurSnapshotAtRisk()
    {
        var (parameters, usd, alice, bob) = CreditChannel();
        var refunds = RoundOutcome.Refunds(parameters);
        // Alice hands Bob one USD stroop in Bob's snapshot: without a USD trust line on Bob's wallet it fails, and takes Bob's 100 XLM with it.
        var gift = new RoundOutcome([[Pay(alice, Asset.Native, 100), new PaymentOperation(alice, usd, new Stroops(UsdInStroops - 1))], [Pay(bob, Asset.Native, 100), new PaymentOperation(bob, usd, new Stroops(1))]]);

        Assert.Null(OutcomeRules.Check(parameters, gift));
        Assert.Empty(refunds.ValueFor(parameters, 1).AtRisk);
        Assert.Contains(gift.ValueFor(parameters, 1).AtRisk, r => r.Contains("did not deposit", StringComparison.Ordinal));
        Assert.Empty(gift.ValueFor(parameters, 0).AtRisk);
    }

    private static readonly long UsdInStroops = 50 * Stroops.PerLumen;

    private static PaymentOperation Pay(AccountId to, Asset asset, long lumens) => new(to, asset, Stroops.FromLumens(lumens));

    /// <summary>Alice deposits 100 XLM and 50 USD, Bob 100 XLM; R holds one USD trust line and Bob's ratchet key as its extra signer.</summary>
    private static (ChannelParameters Parameters, Asset Usd, AccountId Alice, AccountId Bob) CreditChannel()
    {
        var keys = Enumerable.Range(0, 2).Select(_ => new ParticipantKeys(KeyPair.Random(), KeyPair.Random(), KeyPair.Random())).ToArray();
        var usd = Asset.Credit("USD", KeyPair.Random().AccountId);
        var setup = SequenceNumber.FromLedger(7);
        var parameters = new ChannelParameters(
            Network.Standalone,
            keys[0].Ratchet.AccountId,
            setup,
            setup + 2,
            [
                new ChannelParticipant(keys[0].Wallet.AccountId, keys[0].Version.AccountId, keys[0].Ratchet.AccountId, SequenceNumber.FromLedger(7),
                    [new Deposit(Asset.Native, Stroops.FromLumens(100)), new Deposit(usd, Stroops.FromLumens(50))]),
                new ChannelParticipant(keys[1].Wallet.AccountId, keys[1].Version.AccountId, keys[1].Ratchet.AccountId, SequenceNumber.FromLedger(8),
                    [new Deposit(Asset.Native, Stroops.FromLumens(100))]),
            ],
            ProtocolHarness.Timeouts,
            100,
            ProtocolHarness.T0 + ProtocolHarness.OpeningWindow).Validated();
        return (parameters, usd, keys[0].Wallet.AccountId, keys[1].Wallet.AccountId);
    }

    /// <summary>Participant <paramref name="from"/>'s proposal of the next round, handed to participant <paramref name="to"/> alone.</summary>
    private static Transition Offer(ProtocolHarness h, int from, int to, RoundOutcome outcome)
    {
        var proposal = new RoundProposal(h.States[to].Channel, from, h.States[to].NextRound, h.Now, false, outcome);
        return ChannelProtocol.Receive(h.States[to], h.Keys[to], from, proposal, h.Now);
    }

    private static RoundOutcome WithLast(RoundOutcome outcome, params Operation[] ops) =>
        new(outcome.Effects.SetItem(outcome.Effects.Length - 1, outcome.Effects[^1].AddRange(ops)));

    private static void Complete(ProtocolHarness h, int proposer, RoundOutcome outcome)
    {
        h.Propose(proposer, outcome);
        h.DeliverAll();
        Assert.Empty(h.Errors);
        Assert.All(h.States, s => Assert.True(s.Latest!.Outcome.Equals(outcome)));
    }
}
