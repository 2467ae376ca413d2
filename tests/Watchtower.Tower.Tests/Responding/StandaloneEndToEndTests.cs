using Microsoft.Extensions.DependencyInjection;
using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;
using static Watchtower.Tower.Tests.Support.StandaloneTower;

namespace Watchtower.Tower.Tests.Responding;

/// <summary>
/// The tower against the embedded standalone network, with channels run by the channel library's
/// wallets: Alice uploads her latest round and goes offline; the tower alone must protect her.
/// </summary>
public sealed class StandaloneEndToEndTests
{
    private static readonly KeyPair ReceiptKey = KeyPair.Random();

    private static async Task<StandaloneTower> ChannelWithTowerAsync(LedgerApiKind kind = LedgerApiKind.Horizon, byte[]? sealingKey = null)
    {
        // Round 0: Alice 250 / Bob 750. Round 1 (Bob pays Alice 250): 500 / 500.
        var rig = await OpenAsync(250, 750);
        Assert.Null(await rig.Group.PayAsync(Bob, Alice, Stroops.FromLumens(250), default));
        using var sealing = sealingKey is null ? TowerSealingKey.Generate() : TowerSealingKey.FromPrivateKey(sealingKey);
        await rig.StartTowerAsync(ReceiptKey, sealing.ExportPrivateKey(), kind);
        await rig.UploadLatestAsync(Alice, sealing.PublicKey);
        rig.Group.Disconnect(Alice);
        return rig;
    }

    private static DateTimeOffset SnapshotMinTime(StandaloneTower rig) =>
        DateTimeOffset.FromUnixTimeSeconds((long)((TransactionV1Envelope)rig.Sinks[Alice].Bundles[^1].Snapshots[0]).Transaction.Preconditions.TimeBounds!.Value.MinTime);

    /// <summary>Only Alice (offline) and the tower hold Alice's ratchet: its sequence consumed means the tower submitted it.</summary>
    private static async Task<bool> AlicesRatchetAppliedAsync(StandaloneTower rig)
    {
        var version = rig.Parameters.Participants[Alice];
        return (await rig.Ledger.LoadAccountAsync(version.VersionAccount, default))!.Sequence == version.VersionSequence + 1;
    }

    private static async Task AliceGetsHerLatestBalanceAsync(StandaloneTower rig)
    {
        var latestTarget = rig.Sinks[Alice].Bundles[^1].RatchetTarget.Value;
        await Eventually(async () => await rig.EscrowSequenceAsync() >= latestTarget, "Alice's latest ratchet on the ledger");
        await rig.AdvanceToAsync(SnapshotMinTime(rig));
        // The tower submits the snapshots when a ledger at or after minTime is tailed; keep ledgers coming.
        await Eventually(async () =>
        {
            if (await rig.EscrowSequenceAsync() == latestTarget + 2)
            {
                return true;
            }
            await rig.Server.CloseLedgerAsync();
            return false;
        }, "the latest snapshots on the ledger");
        Assert.Equal(rig.Expected(Alice, 250, 500), await rig.WalletBalanceAsync(Alice));
        Assert.Equal(rig.Expected(Bob, 750, 500), await rig.WalletBalanceAsync(Bob));
    }

    [Theory]
    [InlineData(LedgerApiKind.Horizon)]
    [InlineData(LedgerApiKind.Rpc)]
    public async Task StaleRatchet_WhileTheWalletIsOffline_IsCountered_AndTheWalletGetsItsLatestBalance(LedgerApiKind kind)
    {
        await using var rig = await ChannelWithTowerAsync(kind);

        var stale = await rig.Ledger.SubmitAsync(rig.Sinks[Bob].Bundles.First(b => b.Round == 0).Ratchet, default);
        Assert.True(stale.Success, stale.ResultCodesText);

        await AliceGetsHerLatestBalanceAsync(rig);
        Assert.True(await AlicesRatchetAppliedAsync(rig));
        var store = rig.Tower.Services.GetRequiredService<IChannelStore>();
        await rig.Server.CloseLedgerAsync();
        await Eventually(async () => await store.GetAsync(rig.ChannelIdOf(Alice), default) is null, "the settled channel forgotten");
    }

    [Fact]
    public async Task Deadline_WhileTheWalletIsOffline_ForceClosesAtTheLatestState()
    {
        await using var rig = await ChannelWithTowerAsync();
        var ratchet = ((TransactionV1Envelope)rig.Sinks[Alice].Bundles[^1].Ratchet).Transaction.Preconditions.TimeBounds!.Value;

        await rig.AdvanceToAsync(DateTimeOffset.FromUnixTimeSeconds((long)ratchet.MaxTime) - Timeouts.SynchronyDelay - TimeSpan.FromHours(1));
        await rig.Server.CloseLedgerAsync();
        Assert.False(await AlicesRatchetAppliedAsync(rig));

        await rig.AdvanceToAsync(DateTimeOffset.FromUnixTimeSeconds((long)ratchet.MaxTime) - Timeouts.SynchronyDelay);

        await AliceGetsHerLatestBalanceAsync(rig);
        Assert.True(await AlicesRatchetAppliedAsync(rig));
    }

    [Fact]
    public async Task CounterpartysHonestForceClose_GetsTheSnapshotsSubmitted()
    {
        await using var rig = await ChannelWithTowerAsync();

        var honest = await rig.Ledger.SubmitAsync(rig.Sinks[Bob].Bundles[^1].Ratchet, default);
        Assert.True(honest.Success, honest.ResultCodesText);

        await AliceGetsHerLatestBalanceAsync(rig);
        Assert.False(await AlicesRatchetAppliedAsync(rig));
    }

    [Fact]
    public async Task PartlyExecutedSnapshots_WhileTheTowerWasDown_AreCompletedAfterItRestarts()
    {
        using var sealing = TowerSealingKey.Generate();
        var key = sealing.ExportPrivateKey();
        await using var rig = await ChannelWithTowerAsync(sealingKey: key);
        await rig.StopTowerAsync();

        // While the tower is down, Bob force-closes honestly and executes only his own snapshot.
        var latest = rig.Sinks[Bob].Bundles[^1];
        Assert.True((await rig.Ledger.SubmitAsync(latest.Ratchet, default)).Success);
        await rig.AdvanceToAsync(SnapshotMinTime(rig));
        var own = await rig.Ledger.SubmitAsync(latest.Snapshots[0], default);
        Assert.True(own.Success, own.ResultCodesText);
        Assert.Equal(latest.RatchetTarget.Value + 1, await rig.EscrowSequenceAsync());

        await rig.StartTowerAsync(ReceiptKey, key);

        await AliceGetsHerLatestBalanceAsync(rig);
        Assert.False(await AlicesRatchetAppliedAsync(rig));
    }
}
