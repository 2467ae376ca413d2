using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

public class BundleTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void EveryRoundsBundle_PassesTheTowersValidator(int n)
    {
        var h = new ProtocolHarness(n);
        h.Open();
        for (var round = 1; round <= 3; round++)
        {
            var balances = Enumerable.Repeat(100L, n).ToArray();
            balances[0] -= round;
            balances[1] += round;
            h.Propose(0, h.Balances(balances));
            h.DeliverAll();
        }

        var completions = h.Effects.Where(e => e.Action is RoundCompleted).ToList();
        Assert.Equal(4 * n, completions.Count);
        foreach (var (participant, action) in completions)
        {
            var bundle = ChannelBundle.From(h.Parameters, participant, ((RoundCompleted)action).Round).ToTowerBundle()!;
            BundleChecks.Validate(bundle, h.Parameters.Network);
            Assert.Equal(h.Parameters.Participants[participant].VersionAccount, bundle.VersionAccount);
            Assert.Equal(n - 1, bundle.CounterpartyVersionAccounts.Length);
        }
    }

    [Fact]
    public void TamperedBundle_IsRejectedByTheTowersValidator()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        var round = ((RoundCompleted)h.Effects.First(e => e.Participant == 1 && e.Action is RoundCompleted).Action).Round;
        var bundle = ChannelBundle.From(h.Parameters, 1, round).ToTowerBundle()!;
        var stripped = bundle with { Snapshots = bundle.Snapshots.SetItem(0, ((TransactionV1Envelope)bundle.Snapshots[0]).Transaction.ToEnvelope()) };
        Assert.Throws<BundleRejectedException>(() => BundleChecks.Validate(stripped, h.Parameters.Network));
    }

    [Fact]
    public void CloseRound_IsNotHandedToTheTower()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.States[0].Latest!.Outcome, closing: true);
        h.DeliverAll();
        var close = h.Effects.Select(e => e.Action).OfType<RoundCompleted>().Last().Round;
        Assert.True(close.Closing);
        Assert.Null(ChannelBundle.From(h.Parameters, 0, close).ToTowerBundle());
    }

    [Fact]
    public async Task SealingSink_UploadsABundleOnlyTheTowerCanOpen()
    {
        var h = new ProtocolHarness(2);
        h.Open();
        h.Propose(0, h.Balances(90, 110));
        h.DeliverAll();
        using var tower = TowerSealingKey.Generate();
        var identity = KeyPair.Random();
        var uploads = new List<SealedBundle>();
        var sink = new SealingBundleSink(tower.PublicKey, identity, (b, _) => { uploads.Add(b); return Task.CompletedTask; });
        foreach (var round in h.Effects.Where(e => e.Participant == 1).Select(e => e.Action).OfType<RoundCompleted>())
        {
            await sink.PublishAsync(ChannelBundle.From(h.Parameters, 1, round.Round), CancellationToken.None);
        }

        Assert.Equal([0UL, 1UL], uploads.Select(u => u.Round));
        Assert.True(uploads[1].IsSignedBy(identity.AccountId));
        var opened = BundleSealer.Open(uploads[1], tower);
        Assert.Equal(h.Parameters.RatchetTarget(1), opened.RatchetTarget);
        Assert.Equal(h.States[1].Latest!.Ratchet.ToXdrBase64(), opened.Ratchet.ToXdrBase64());
    }
}
