using Watchtower.Ledger;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Tower.Tests.Responding;

public class FeePolicyTests
{
    private static Transaction Tx(uint feePerOp, int ops)
    {
        var b = new TransactionBuilder(KeyPair.Random().AccountId, new SequenceNumber(1)).WithFee(feePerOp);
        for (var i = 0; i < ops; i++)
        {
            b = b.AddOperation(new BumpSequenceOperation(new SequenceNumber(i)));
        }
        return b.Build();
    }

    [Fact]
    public void Required_IsTheBaseFee_OutsideSurge() =>
        Assert.Equal(100, FeePolicy.RequiredPerOperation(new FeeStatsInfo(100, 500, 900, 5000, 0.5), new FeeOptions()));

    [Fact]
    public void Required_OutbidsP90_InSurge() =>
        Assert.Equal(990, FeePolicy.RequiredPerOperation(new FeeStatsInfo(100, 500, 900, 5000, 0.95), new FeeOptions()));

    [Fact]
    public void Required_OutbidsTheBaseFee_InASurgeWhereP90IsBelowIt() =>
        Assert.Equal(2200, FeePolicy.RequiredPerOperation(new FeeStatsInfo(2000, 100, 100, 100, 0.95), new FeeOptions()));

    [Fact]
    public void NoBump_WhenTheInnerFeeSuffices() => Assert.Null(FeePolicy.Plan(Tx(100, 2), 100, 10_000));

    [Fact]
    public void Bump_PaysTheRequiredRateForInnerOperationsPlusOne()
    {
        Assert.Equal(new FeeBumpPlan(900, 900 * 3), FeePolicy.Plan(Tx(100, 2), 900, 10_000));
    }

    [Fact]
    public void Bump_NeverExceedsTheCeiling()
    {
        Assert.Equal(new FeeBumpPlan(500, 1000), FeePolicy.Plan(Tx(100, 1), 900, 500));
        Assert.Null(FeePolicy.Plan(Tx(500, 1), 900, 500));
    }

    [Fact]
    public void Escalation_DoublesUpToTheCeiling()
    {
        Assert.Equal(400, FeePolicy.Escalate(200, 1000));
        Assert.Equal(1000, FeePolicy.Escalate(800, 1000));
        Assert.Null(FeePolicy.Escalate(1000, 1000));
    }
}
