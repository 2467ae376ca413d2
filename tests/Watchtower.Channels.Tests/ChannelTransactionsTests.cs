using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

public class ChannelTransactionsTests
{
    private readonly ProtocolHarness _h = new(3);

    [Fact]
    public void Ratchet_IsSourcedAtTheVersionAccountsFixedSequenceAndBumpsRToRj()
    {
        var p = _h.Parameters;
        var start = ProtocolHarness.T0;
        for (var round = 0; round < 3; round++)
        {
            var tx = ChannelTransactions.Ratchet(p, round, 1, start);
            Assert.Equal(p.Participants[1].VersionAccount, tx.Source.Account);
            Assert.Equal(p.Participants[1].VersionSequence + 1, tx.Sequence);
            var op = Assert.IsType<BumpSequenceOperation>(Assert.Single(tx.Operations));
            Assert.Equal(p.RatchetTarget(round), op.BumpTo);
            Assert.Equal(p.Escrow, op.SourceAccount!.Account);
            Assert.Equal(new TimeBounds((ulong)start.ToUnixTimeSeconds(), (ulong)(start + p.Timeouts.TimeoutClaim).ToUnixTimeSeconds()), tx.Preconditions.TimeBounds);
        }
    }

    [Fact]
    public void Snapshot_IsSourcedAtRWithMinTimeAfterBothTimeoutsAndNoMaxTime()
    {
        var p = _h.Parameters;
        var start = ProtocolHarness.T0;
        var tx = ChannelTransactions.Snapshot(p, 4, 2, start, closing: false, [RoundOutcome.NoOp]);
        Assert.Equal(p.Escrow, tx.Source.Account);
        Assert.Equal(p.SnapshotSequence(4, 2), tx.Sequence);
        var expectedMin = (ulong)(start + p.Timeouts.TimeoutClaim + p.Timeouts.TimeoutClaimDelay).ToUnixTimeSeconds();
        Assert.Equal(new TimeBounds(expectedMin, 0), tx.Preconditions.TimeBounds);
    }

    [Fact]
    public void CloseSnapshot_IsValidFromTheRoundStart()
    {
        var tx = ChannelTransactions.Snapshot(_h.Parameters, 4, 0, ProtocolHarness.T0, closing: true, [RoundOutcome.NoOp]);
        Assert.Equal(new TimeBounds((ulong)ProtocolHarness.T0.ToUnixTimeSeconds(), 0), tx.Preconditions.TimeBounds);
    }

    [Fact]
    public void Funding_PaysEveryDepositIntoRAndMakesItNOfN()
    {
        var p = _h.Parameters;
        var tx = ChannelTransactions.Funding(p);
        Assert.Equal(p.Escrow, tx.Source.Account);
        Assert.Equal(p.FundedEscrowSequence, tx.Sequence);
        var payments = tx.Operations.OfType<PaymentOperation>().ToList();
        Assert.Equal(p.Participants.Select(x => x.Wallet), payments.Select(x => x.SourceAccount!.Account));
        Assert.All(payments, x => Assert.Equal(p.Escrow, x.Destination.Account));
        var options = tx.Operations.OfType<SetOptionsOperation>().ToList();
        Assert.Equal(p.Participants.Skip(1).Select(x => (SignerKey)new Ed25519SignerKey(x.RatchetKey)), options.Where(o => o.Signer is not null).Select(o => o.Signer!.Key));
        var thresholds = options.Single(o => o.LowThreshold is not null);
        Assert.Equal((uint)p.Count, thresholds.LowThreshold);
        Assert.Equal((uint)p.Count, thresholds.MedThreshold);
        Assert.Equal((uint)p.Count, thresholds.HighThreshold);
    }

    [Fact]
    public void Setup_CreatesTheEscrowAndEveryVersionAccount()
    {
        var p = _h.Parameters;
        var wallet = _h.Keys[0].Wallet.AccountId;
        var tx = ChannelTransactions.Setup(wallet, new SequenceNumber(41), p.Escrow, [.. p.Participants.Select(x => x.VersionAccount)], new Stroops(30_000_000), new Stroops(15_000_000), 100);
        Assert.Equal(new SequenceNumber(42), tx.Sequence);
        var created = tx.Operations.Cast<CreateAccountOperation>().Select(c => c.Destination).ToList();
        Assert.Equal([p.Escrow, .. p.Participants.Select(x => x.VersionAccount)], created);
    }
}
