using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

public class ChannelParametersTests
{
    private static readonly ChannelParameters Valid = new ProtocolHarness(3).Parameters;

    [Fact]
    public void ValidParameters_HaveNoProblems() => Assert.Empty(Valid.Problems());

    [Fact]
    public void TimeoutClaimBelowDPlusRoundInterval_IsRejectedWithTheRule()
    {
        var p = Valid with { Timeouts = Valid.Timeouts with { TimeoutClaim = TimeSpan.FromHours(2) } };
        var e = Assert.Throws<ChannelParameterException>(() => p.Validated());
        Assert.Contains(e.Problems, m => m.Contains("TIMEOUT_CLAIM (", StringComparison.Ordinal) && m.Contains("D + max round interval", StringComparison.Ordinal));
    }

    [Fact]
    public void TimeoutClaimDelayBelowD_IsRejected()
    {
        var p = Valid with { Timeouts = Valid.Timeouts with { TimeoutClaimDelay = TimeSpan.FromMinutes(59) } };
        Assert.Contains(p.Problems(), m => m.StartsWith("TIMEOUT_CLAIM_DELAY", StringComparison.Ordinal));
    }

    [Fact]
    public void InitialRatchetTargetNotAboveFundedSequence_IsRejected()
    {
        var p = Valid with { InitialRatchetTarget = Valid.EscrowSetupSequence + 1 };
        Assert.Contains(p.Problems(), m => m.Contains("r_0", StringComparison.Ordinal));
    }

    [Fact]
    public void SingleParticipant_IsRejected()
    {
        var p = Valid with { Participants = [Valid.Participants[0]] };
        Assert.Contains(p.Problems(), m => m.Contains("at least 2 participants", StringComparison.Ordinal));
    }

    [Fact]
    public void ReusedKey_IsRejected()
    {
        var p1 = Valid.Participants[1] with { VersionAccount = Valid.Participants[2].VersionAccount };
        var p = Valid with { Participants = Valid.Participants.SetItem(1, p1) };
        Assert.Contains(p.Problems(), m => m.Contains("used twice", StringComparison.Ordinal));
    }

    [Fact]
    public void NonPositiveDeposit_IsRejected()
    {
        var p1 = Valid.Participants[1] with { Deposits = [new Deposit(Asset.Native, Stroops.Zero)] };
        Assert.Contains((Valid with { Participants = Valid.Participants.SetItem(1, p1) }).Problems(), m => m.Contains("must be positive", StringComparison.Ordinal));
    }

    [Fact]
    public void SequenceArithmetic_FollowsTheSpec()
    {
        // r_j = r_0 + j(n+1); t_{j,i} at r_j + i (1-based i).
        var n = Valid.Count;
        Assert.Equal(Valid.InitialRatchetTarget + (5 * (n + 1)), Valid.RatchetTarget(5));
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(Valid.RatchetTarget(5) + (i + 1), Valid.SnapshotSequence(5, i));
        }

        // Round j's last snapshot sits just below round j+1's ratchet target.
        Assert.Equal(Valid.RatchetTarget(6) - 1, Valid.SnapshotSequence(5, n - 1));
        Assert.True(Valid.InitialRatchetTarget > Valid.FundedEscrowSequence);
    }
}
