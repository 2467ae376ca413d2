using Watchtower.Channels.Protocol;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

/// <summary>
/// Crash safety of opening on the standalone network: whatever point of round 0 or of funding a
/// participant dies at, it restarts from its file, resyncs, and the channel gets funded exactly
/// once and then pays out exactly on the ledger; and an opening a peer never completes can be
/// abandoned once its funding can no longer land, with every deposit still in its wallet.
/// </summary>
public class OpeningRecoveryTests
{
    private static readonly long[] Lumens = [300, 200, 100];

    /// <summary>
    /// The victim dies while sending its k-th frame of opening, for every k: the proposer's round-0
    /// proposal, snapshot, ratchet and funding signatures, the others' three kinds, each to either
    /// peer (a broadcast cut in half included). Its peers go on as far as they can (funding too, if
    /// they got everything), then it comes back.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task CrashWhileSendingAnyOpeningFrame_RestartResyncsAndTheChannelIsFundedOnce(int victim)
    {
        var points = 0;
        for (var k = 0; ; k++)
        {
            await using var rig = await OpeningRig.SetUpAsync(Lumens);
            rig.CrashOnSend(victim, k);
            await rig.ProposeRound0Async();
            await rig.PumpAsync();
            await rig.FundAllAsync();
            if (rig.Runtimes[victim] is not null)
            {
                // The victim sent fewer than k frames in a whole opening: every point is covered.
                Assert.True(k > 5, $"participant {victim} sends at least 6 frames while opening");
                break;
            }

            points++;
            var fundedBefore = await IsFundedAsync(rig);
            var victimSubmissions = rig.Views[victim].Submitted.Count;
            await rig.RestartAsync(victim);
            await rig.ProposeRound0Async();
            await rig.PumpAsync();
            var statuses = await rig.FundAllAsync();

            Assert.All(statuses, s => Assert.Equal(FundingStatus.Funded, s));
            Assert.All(rig.Runtimes, r => Assert.Equal(ChannelPhase.Open, r!.State.Phase));
            Assert.Equal(1, rig.FundingSubmissions);
            if (fundedBefore)
            {
                // R funded while it was down: recognised from the ledger, nothing submitted again.
                Assert.Equal(victimSubmissions, rig.Views[victim].Submitted.Count);
            }

            await rig.PayAndCloseAsync(50);
            Assert.Equal(rig.Expected(0, 250), await rig.WalletBalanceAsync(0));
            Assert.Equal(rig.Expected(1, 250), await rig.WalletBalanceAsync(1));
            Assert.Equal(rig.Expected(2, 100), await rig.WalletBalanceAsync(2));
        }

        Assert.InRange(points, 6, 8);
    }

    [Fact]
    public async Task EveryoneCrashesRightAfterSetup_OpeningResumesFromTheFiles()
    {
        await using var rig = await OpeningRig.SetUpAsync(Lumens);
        for (var i = 0; i < rig.Count; i++)
        {
            rig.Crash(i);
        }

        for (var i = 0; i < rig.Count; i++)
        {
            await rig.RestartAsync(i);
        }

        await rig.ProposeRound0Async();
        await rig.PumpAsync();
        Assert.All(await rig.FundAllAsync(), s => Assert.Equal(FundingStatus.Funded, s));
        await rig.PayAndCloseAsync(50);
        Assert.Equal(rig.Expected(1, 250), await rig.WalletBalanceAsync(1));
    }

    [Fact]
    public async Task FundingAssembledButNotSubmitted_EveryoneRestarts_ItIsSubmittedOnce()
    {
        await using var rig = await OpeningRig.SetUpAsync(Lumens);
        await rig.ProposeRound0Async();
        await rig.PumpAsync();
        Assert.All(rig.Runtimes, r => Assert.NotNull(r!.State.Funding));
        for (var i = 0; i < rig.Count; i++)
        {
            rig.Crash(i);
            await rig.RestartAsync(i);
        }

        await rig.PumpAsync();
        Assert.All(await rig.FundAllAsync(), s => Assert.Equal(FundingStatus.Funded, s));
        Assert.All(await rig.FundAllAsync(), s => Assert.Equal(FundingStatus.Funded, s));
        Assert.Equal(1, rig.FundingSubmissions);
        await rig.PayAndCloseAsync(10);
        Assert.Equal(rig.Expected(0, 290), await rig.WalletBalanceAsync(0));
    }

    [Fact]
    public async Task SubmittedButNotConfirmed_TheRestartedSubmitterRecognisesTheFundedEscrow()
    {
        await using var rig = await OpeningRig.SetUpAsync(Lumens);
        await rig.ProposeRound0Async();
        await rig.PumpAsync();
        // Participant 0's submission lands; it dies before recording that R is funded.
        Assert.True((await rig.Views[0].SubmitAsync(rig[0].State.Funding!, CancellationToken.None)).Success);
        rig.Crash(0);
        await rig.RestartAsync(0);
        Assert.Equal(ChannelPhase.Opening, rig[0].State.Phase);

        Assert.Equal(FundingStatus.Funded, await rig[0].FundAsync(CancellationToken.None));
        Assert.Equal(ChannelPhase.Open, rig[0].State.Phase);
        Assert.Single(rig.Views[0].Submitted);
        await rig.PumpAsync();
        Assert.All(await rig.FundAllAsync(), s => Assert.Equal(FundingStatus.Funded, s));
        Assert.Equal(1, rig.FundingSubmissions);
        await rig.PayAndCloseAsync(300);
        Assert.Equal(rig.Expected(0, 0), await rig.WalletBalanceAsync(0));
        Assert.Equal(rig.Expected(1, 500), await rig.WalletBalanceAsync(1));
    }

    /// <summary>
    /// Participant 2 takes everyone's funding signatures and withholds its own, keeping the option
    /// to fund whenever it likes. The others cannot walk away while that option lasts; once the
    /// ledger passes the opening deadline they can, and its late funding bounces.
    /// </summary>
    [Fact]
    public async Task PeerWithholdsItsFundingSignature_OthersAbandonAfterTheDeadline_DepositsStayInWallets()
    {
        await using var rig = await OpeningRig.SetUpAsync(Lumens);
        rig.WithholdFundingSignatures(2);
        await rig.ProposeRound0Async();
        await rig.PumpAsync();
        var hoarded = rig[2].State.Funding;
        Assert.NotNull(hoarded);
        Assert.Null(rig[0].State.Funding);
        Assert.Null(rig[1].State.Funding);

        Assert.Equal(FundingStatus.AwaitingSignatures, await rig[0].FundAsync(CancellationToken.None));
        var refused = await rig[0].AbandonOpeningAsync(CancellationToken.None);
        Assert.Equal(ProtocolErrorCode.FundingStillValid, refused?.Code);
        Assert.Equal(ChannelPhase.Opening, rig[0].State.Phase);

        // At the deadline itself the funding could still land; one second later it never can.
        await rig.AdvanceToAsync(rig.Parameters.OpeningDeadline);
        Assert.Equal(FundingStatus.AwaitingSignatures, await rig[0].FundAsync(CancellationToken.None));
        await rig.AdvanceToAsync(rig.Parameters.OpeningDeadline + TimeSpan.FromSeconds(1));
        Assert.Equal(FundingStatus.Expired, await rig[0].FundAsync(CancellationToken.None));
        foreach (var i in new[] { 0, 1 })
        {
            Assert.Null(await rig[i].AbandonOpeningAsync(CancellationToken.None));
            Assert.Equal(ChannelPhase.Abandoned, rig[i].State.Phase);
            Assert.Null(await rig[i].CheckLedgerAsync(CancellationToken.None));
        }

        var late = await rig.Ledger.SubmitAsync(hoarded!, CancellationToken.None);
        Assert.False(late.Success);
        Assert.Contains("tx_too_late", late.ResultCodesText, StringComparison.Ordinal);
        for (var i = 0; i < rig.Count; i++)
        {
            Assert.Equal(LedgerChannel.WalletStart.Value, await rig.WalletBalanceAsync(i));
        }

        // Abandoning is durable: a restart keeps it.
        rig.Crash(1);
        await rig.RestartAsync(1);
        Assert.Equal(ChannelPhase.Abandoned, rig[1].State.Phase);
    }

    [Fact]
    public async Task ParticipantThatNeverSignedFunding_MayAbandonAtOnce()
    {
        await using var rig = await OpeningRig.SetUpAsync(Lumens);
        Assert.Null(await rig[1].AbandonOpeningAsync(CancellationToken.None));
        Assert.Equal(ChannelPhase.Abandoned, rig[1].State.Phase);
        // Without 1's deposit signature the others can never fund, so they may walk away too.
        await rig.ProposeRound0Async();
        await rig.PumpAsync();
        Assert.Null(rig[0].State.Latest);
        Assert.Null(await rig[0].AbandonOpeningAsync(CancellationToken.None));
    }

    [Fact]
    public async Task EscrowMasterSpendsTheFundingSequence_OpeningIsExpired_NotMistakenForFunded()
    {
        await using var rig = await OpeningRig.SetUpAsync(Lumens);
        await rig.ProposeRound0Async();
        await rig.PumpAsync();
        // Participant 0 holds R's master key: it raises R's thresholds to N itself, without the
        // other signers and deposits, using up the funding's sequence number.
        var n = (uint)rig.Count;
        var fake = new TransactionBuilder(rig.Parameters.Escrow, rig.Parameters.EscrowSetupSequence)
            .AddOperation(new SetOptionsOperation(null, null, null, null, n, n, n, null, null))
            .BuildEnvelope().Sign(rig.Parameters.Network, rig.Keys[0].Ratchet);
        Assert.True((await rig.Ledger.SubmitAsync(fake, CancellationToken.None)).Success);

        Assert.All(await rig.FundAllAsync(), s => Assert.Equal(FundingStatus.Expired, s));
        Assert.All(rig.Runtimes, r => Assert.Equal(ChannelPhase.Opening, r!.State.Phase));
        Assert.Null(await rig[1].AbandonOpeningAsync(CancellationToken.None));
        Assert.Equal(0, rig.FundingSubmissions);
        for (var i = 0; i < rig.Count; i++)
        {
            Assert.Equal(LedgerChannel.WalletStart.Value, await rig.WalletBalanceAsync(i));
        }
    }

    private static async Task<bool> IsFundedAsync(OpeningRig rig)
    {
        var r = await rig.Ledger.LoadAccountAsync(rig.Parameters.Escrow, CancellationToken.None);
        return r!.Sequence == rig.Parameters.FundedEscrowSequence;
    }
}
