namespace Watchtower.Standalone.Tests;

/// <summary>The spec's JavaScript example, end to end against the standalone network with the official SDK.</summary>
public sealed class AliceBobExampleTests
{
    private static async Task<System.Text.Json.Nodes.JsonObject> Run(string mode)
    {
        await using var server = await StandaloneServer.StartAsync(
            new StandaloneOptions { CloseInterval = null, CloseOnSubmit = true }, TimeProvider.System, CancellationToken.None);
        return await Oracle.RunAsync($"alice-bob.cjs {mode}", server, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task CooperativeClose_PaysOutRound1_AndKillsOlderRounds()
    {
        var o = await Run("cooperative");
        Assert.True((bool)o["setup"]!);
        Assert.True((bool)o["funding"]!);
        Assert.Equal("999.9999700", (string)o["fundedBalance"]!); // R paid the 3-operation funding fee
        Assert.True((bool)o["r0AboveFundedSequence"]!);
        Assert.True((bool)o["closeRatchet"]!);
        Assert.True((bool)o["closeAlice"]!);
        Assert.True((bool)o["closeBob"]!);
        Assert.True((bool)o["bobControlsR"]!);
        // A stale ratchet still applies but bumps R to a lower number: a successful no-op.
        Assert.True((bool)o["staleRatchetAfterClose"]!["ok"]!);
        // A stale snapshot is refused (core checks its minTime before its sequence number).
        Assert.Equal("tx_too_early", (string)o["staleSnapshotAfterClose"]!["codes"]!["transaction"]!);
    }

    [Fact]
    public async Task Dispute_StaleRatchetIsAnsweredFromTheStream_LatestSnapshotsWinAfterClockAdvance()
    {
        var o = await Run("dispute");
        Assert.True((bool)o["staleRatchet"]!);
        Assert.True((bool)o["answer"]!["ok"]!);
        Assert.Equal((string)o["expectedSequence"]!, (string)o["sequenceAfterAnswer"]!);
        Assert.Equal("tx_too_early", (string)o["snapshotTooEarly"]!["codes"]!["transaction"]!);
        Assert.True((bool)o["snap1Alice"]!);
        Assert.True((bool)o["snap1Bob"]!);
        Assert.True((bool)o["bobControlsR"]!);
        Assert.Equal("tx_bad_seq", (string)o["staleSnapshot"]!["codes"]!["transaction"]!);
        Assert.Equal("tx_bad_seq", (string)o["staleSnapshotBob"]!["codes"]!["transaction"]!);
    }
}
