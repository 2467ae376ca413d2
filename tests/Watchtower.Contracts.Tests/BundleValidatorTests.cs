using Watchtower.TestSupport;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Contracts.Tests;

public sealed class BundleValidatorTests
{
    private readonly TestChannel _channel = new(participants: 3);

    private static ContentProblem ProblemOf(Bundle bundle, Network? network = null)
    {
        var e = Assert.Throws<BundleRejectedException>(() => BundleChecks.Validate(bundle, network ?? bundle.Network));
        Assert.Equal(RejectionReason.InvalidContent, e.Reason);
        return e.Problem;
    }

    [Fact]
    public void WellFormedBundle_IsValid()
    {
        BundleChecks.Validate(_channel.Bundle(4), _channel.Network);
        BundleChecks.Validate(_channel.Bundle(4, participant: 2), _channel.Network);
    }

    [Fact]
    public void BundleForAnotherNetwork_IsNetworkMismatch()
    {
        var e = Assert.Throws<BundleRejectedException>(() => BundleChecks.Validate(_channel.Bundle(1), Network.Testnet));
        Assert.Equal(RejectionReason.NetworkMismatch, e.Reason);
    }

    [Fact]
    public void RatchetFromAnotherVersionAccount_IsRatchetSourceMismatch() =>
        Assert.Equal(ContentProblem.RatchetSourceMismatch, ProblemOf(_channel.Bundle(1) with { Ratchet = _channel.Ratchet(1, participant: 1) }));

    [Fact]
    public void BumpSourcedElsewhere_IsRatchetOperation() =>
        Assert.Equal(ContentProblem.RatchetOperation,
            ProblemOf(_channel.Bundle(1) with { Ratchet = _channel.Ratchet(1, bumpSource: _channel.VersionKeys[0].AccountId) }));

    [Fact]
    public void BumpToAnotherTarget_IsBumpTargetMismatch() =>
        Assert.Equal(ContentProblem.BumpTargetMismatch,
            ProblemOf(_channel.Bundle(1) with { Ratchet = _channel.Ratchet(1, bumpTo: _channel.RatchetTarget(1) + 1) }));

    [Fact]
    public void SnapshotsAtShiftedSequences_IsSnapshotSequence() =>
        Assert.Equal(ContentProblem.SnapshotSequence,
            ProblemOf(_channel.Bundle(1) with { Snapshots = _channel.Snapshots(1, firstSequence: _channel.RatchetTarget(1)) }));

    [Fact]
    public void MissingSnapshot_IsSnapshotSet()
    {
        var bundle = _channel.Bundle(1);
        Assert.Equal(ContentProblem.SnapshotSet, ProblemOf(bundle with { Snapshots = bundle.Snapshots.RemoveAt(2) }));
    }

    [Fact]
    public void SnapshotMinTimeNotAsDeclared_IsTimeBounds()
    {
        var bundle = _channel.Bundle(1);
        Assert.Equal(ContentProblem.TimeBounds, ProblemOf(bundle with { Snapshots = _channel.Snapshots(1, minTime: bundle.SnapshotMinTime + 1) }));
    }

    [Fact]
    public void RatchetWindowNotAsDeclared_IsTimeBounds()
    {
        var bundle = _channel.Bundle(1);
        Assert.Equal(ContentProblem.TimeBounds, ProblemOf(bundle with { RatchetTimeBounds = bundle.RatchetTimeBounds with { MaxTime = bundle.RatchetTimeBounds.MaxTime + 1 } }));
    }

    [Fact]
    public void DelayShorterThanD_IsDelayTooShort()
    {
        // TIMEOUT_CLAIM_DELAY is 7200 s; a declared D of 3 hours exceeds it.
        Assert.Equal(ContentProblem.DelayTooShort, ProblemOf(_channel.Bundle(1) with { ClaimDelay = TimeSpan.FromHours(3) }));
    }

    [Fact]
    public void RatchetWithoutOneRatchetKey_IsMissingSignature()
    {
        var signers = new[] { _channel.VersionKeys[0], _channel.RatchetKeys[0], _channel.RatchetKeys[1] };
        Assert.Equal(ContentProblem.MissingSignature, ProblemOf(_channel.Bundle(1) with { Ratchet = _channel.Ratchet(1, signers: signers) }));
    }

    [Fact]
    public void RatchetWithoutVersionAccountSignature_IsMissingSignature() =>
        Assert.Equal(ContentProblem.MissingSignature,
            ProblemOf(_channel.Bundle(1) with { Ratchet = _channel.Ratchet(1, signers: _channel.RatchetKeys) }));

    [Fact]
    public void SnapshotWithoutOneRatchetKey_IsMissingSignature() =>
        Assert.Equal(ContentProblem.MissingSignature,
            ProblemOf(_channel.Bundle(1) with { Snapshots = _channel.Snapshots(1, signers: _channel.RatchetKeys.RemoveAt(0)) }));

    [Fact]
    public void SnapshotWithAStrangerSignature_IsUnusedSignature() =>
        Assert.Equal(ContentProblem.UnusedSignature,
            ProblemOf(_channel.Bundle(1) with { Snapshots = _channel.Snapshots(1, signers: [.. _channel.RatchetKeys, KeyPair.Random()]) }));

    [Fact]
    public void SnapshotSignatures_MustReachTheThresholdItsOperationsNeed()
    {
        // R: low 1, medium 2, high 3, three ratchet keys of weight 1.
        var channel = new TestChannel(participants: 3, escrowThresholds: new Thresholds(0, 1, 2, 3));
        var twoKeys = channel.RatchetKeys.RemoveAt(2);
        var bundle = channel.Bundle(1) with { Ratchet = channel.Ratchet(1, signers: [channel.VersionKeys[0], channel.RatchetKeys[0]]) };

        // A payment needs medium (2): two keys suffice.
        BundleChecks.Validate(bundle with { Snapshots = channel.Snapshots(1, signers: twoKeys) }, channel.Network);

        // Merging R away needs high (3): two keys do not.
        var merge = channel.Snapshots(1, signers: twoKeys, payout: k => new AccountMergeOperation(channel.VersionKeys[k].AccountId));
        Assert.Equal(ContentProblem.MissingSignature, ProblemOf(bundle with { Snapshots = merge }));
        var mergeSigned = channel.Snapshots(1, payout: k => new AccountMergeOperation(channel.VersionKeys[k].AccountId));
        BundleChecks.Validate(bundle with { Snapshots = mergeSigned }, channel.Network);
    }

    [Fact]
    public void ChannelIdNotDerivedFromTheAccounts_IsChannelIdMismatch() =>
        Assert.Equal(ContentProblem.ChannelIdMismatch,
            ProblemOf(_channel.Bundle(1) with { ChannelId = _channel.ChannelId(participant: 1) }));

    [Fact]
    public void RatchetTargetBelowTheRoundLine_IsParameters()
    {
        // r_j = j(n + 1) would make r_0 = 0.
        var target = new SequenceNumber(5 * 4);
        var bundle = _channel.Bundle(5) with
        {
            RatchetTarget = target,
            Ratchet = _channel.Ratchet(5, bumpTo: target),
            Snapshots = _channel.Snapshots(5, firstSequence: target + 1),
        };
        Assert.Equal(ContentProblem.Parameters, ProblemOf(bundle));
    }

    [Fact]
    public void CounterpartyCountNotNMinusOne_IsParameters()
    {
        var bundle = _channel.Bundle(1);
        Assert.Equal(ContentProblem.Parameters, ProblemOf(bundle with { CounterpartyVersionAccounts = bundle.CounterpartyVersionAccounts.RemoveAt(0) }));
    }
}
