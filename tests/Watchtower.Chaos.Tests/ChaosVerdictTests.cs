using System.Collections.Immutable;
using Xunit;

namespace Watchtower.Chaos.Tests;

/// <summary>The pass rules themselves: each kind of failure the suite must catch is caught.</summary>
public sealed class ChaosVerdictTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly TimeSpan D = TimeSpan.FromDays(1);

    private static ChannelOutcome Honest(ChannelFate fate = ChannelFate.Deadline) =>
        new(7, fate, LatestRound: 3, ReceiptedRound: 3, Expected: [100, 200], Actual: [100, 200],
            BreachTime: fate == ChannelFate.Breach ? T0 : null, AnswerTime: T0 + TimeSpan.FromHours(2), RatchetMaxTime: T0 + TimeSpan.FromDays(3));

    [Theory]
    [InlineData(ChannelFate.Breach)]
    [InlineData(ChannelFate.Deadline)]
    [InlineData(ChannelFate.Honest)]
    public void AChannelAnsweredInTimeAndPaidItsReceiptedRound_Passes(ChannelFate fate) =>
        Assert.Empty(ChaosVerdict.Judge([Honest(fate)], D));

    [Fact]
    public void ABreachAnsweredAfterD_IsLate()
    {
        var late = Honest(ChannelFate.Breach) with { AnswerTime = T0 + D + TimeSpan.FromSeconds(1) };
        Assert.Equal([ProblemKind.Late], ChaosVerdict.Judge([late], D).Select(p => p.Kind));
    }

    [Fact]
    public void ABreachNeverAnswered_IsLate()
    {
        var never = Honest(ChannelFate.Breach) with { AnswerTime = null };
        Assert.Equal([ProblemKind.Late], ChaosVerdict.Judge([never], D).Select(p => p.Kind));
    }

    [Fact]
    public void ADeadlineRatchetThatNeverLanded_IsLate()
    {
        var never = Honest() with { AnswerTime = null };
        Assert.Equal([ProblemKind.Late], ChaosVerdict.Judge([never], D).Select(p => p.Kind));
    }

    [Fact]
    public void WalletsPaidAnotherRoundThanTheReceiptedOne_IsLost()
    {
        var lost = Honest() with { Actual = [250, 50] };
        Assert.Equal([ProblemKind.Lost], ChaosVerdict.Judge([lost], D).Select(p => p.Kind));
    }

    [Fact]
    public void AnUnsettledChannel_IsLost()
    {
        var unsettled = Honest() with { Actual = default };
        Assert.Equal([ProblemKind.Lost], ChaosVerdict.Judge([unsettled], D).Select(p => p.Kind));
    }

    [Fact]
    public void ALatestRoundWithoutAReceipt_IsUnreceipted()
    {
        var unreceipted = Honest() with { LatestRound = 4 };
        Assert.Equal([ProblemKind.Unreceipted], ChaosVerdict.Judge([unreceipted], D).Select(p => p.Kind));
    }

    [Fact]
    public void Percentiles_AreNearestRank()
    {
        double[] values = [.. Enumerable.Range(1, 100).Select(i => (double)i)];
        Assert.Equal(50, ChaosVerdict.Percentile(values, 0.5));
        Assert.Equal(99, ChaosVerdict.Percentile(values, 0.99));
        Assert.Equal(0, ChaosVerdict.Percentile(ImmutableArray<double>.Empty, 0.5));
    }
}
