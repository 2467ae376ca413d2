using Microsoft.Extensions.DependencyInjection;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Observability;
using Watchtower.Tower.Storage;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Tailing;

/// <summary>
/// The finding of issue 10: Redis lost everything under a running tower (a restart without
/// persistence), a breach came while the store was empty, and the tower stayed ready, said nothing,
/// resumed at the network's latest ledger and let the breach stand although the wallet held a receipt.
/// </summary>
public class StoreLossTests
{
    [Fact]
    public async Task StoreWipedUnderARunningTower_IsNotReadyAndAlerted_ResumesFromItsCursor_AndTheReuploadCountersTheBreach()
    {
        await using var rig = new PipelineRig();
        var host = await rig.StartAsync(WatchtowerRoles.Tail | WatchtowerRoles.Respond, new Dictionary<string, string?>
        {
            // A brand-new store may start at the latest ledger; after a loss it must not.
            ["Tower:Tailer:StartAfterLedger"] = null,
            ["Tower:Store:EpochCheckInterval"] = "00:00:00.2",
        });
        var guard = host.Services.GetRequiredService<StoreGuard>();
        var metrics = host.Services.GetRequiredService<TowerMetrics>();
        await rig.UploadAsync(host);
        var applied = rig.Ledger.CloseLedger().Header.Sequence;
        await PipelineRig.Eventually(() => PipelineRig.Status(host).Current.Cursor == applied, "a ledger applied");
        Assert.Null(guard.Problem);
        Assert.Equal(0, metrics.StoreEpochLost.Value);

        using (var redis = TestServers.ConnectRedis())
        {
            await StoreWipe.WipeAsync(redis, rig.Prefix);
        }
        // The counterparty cheats while the store is empty, and the network moves on.
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        var breach = rig.Ledger.CloseLedger().Header.Sequence;
        var latest = rig.Ledger.CloseLedger().Header.Sequence;

        await PipelineRig.Eventually(() => metrics.StoreEpochLost.Value == 1, "the loss detected");
        Assert.StartsWith("store epoch lost: the store no longer holds epoch", guard.Problem, StringComparison.Ordinal);
        Assert.Equal(1, metrics.StoreEpochChanges.Value);
        await PipelineRig.Eventually(() => PipelineRig.Status(host).Current.Cursor == latest, "the tailer caught up");
        Assert.Equal(1, metrics.TailerCursorRestores.Value);
        Assert.True(breach > applied);
        Assert.Equal(rig.Channel.RatchetTarget(1).Value, rig.EscrowSequence);

        // The wallet learns of the loss and uploads its latest round again: the breach is countered.
        await rig.UploadAsync(host);

        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value, "the breach countered after the re-upload");
        Assert.Contains("recovering until", guard.Problem, StringComparison.Ordinal);
    }
}
