using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Ledger.Tests;

/// <summary>The shared wrapping step of fee bumping (the tower's responder and the wallet runtime both use it).</summary>
public class FeePolicyBumpTests
{
    private static readonly KeyPair Source = KeyPair.Random();
    private static readonly KeyPair Payer = KeyPair.Random();

    private static TransactionEnvelope Signed(uint fee) =>
        new TransactionBuilder(Source.AccountId, new SequenceNumber(41)).WithFee(fee)
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(0))).BuildEnvelope().Sign(Network.Standalone, Source);

    [Fact]
    public void BidAboveTheInnerFee_WrapsItInAFeeBumpSignedByThePayer()
    {
        var inner = Signed(100);
        var (envelope, plan) = FeePolicy.Bump(inner, 1200, 100_000, Payer, Network.Standalone);
        var bump = Assert.IsType<FeeBumpEnvelope>(envelope);
        Assert.Equal(new FeeBumpPlan(1200, 2400), plan);
        Assert.Equal(2400, bump.FeeBump.Fee);
        Assert.Equal(Payer.AccountId, bump.FeeBump.FeeSource.Account);
        Assert.Equal(inner, bump.FeeBump.Inner);
        var signature = Assert.Single(bump.Signatures);
        Assert.True(KeyPair.Verify(Payer.AccountId, bump.Hash(Network.Standalone).Value.Bytes, signature.Signature));
    }

    [Fact]
    public void TheCap_BoundsTheBump_AndNoBumpIsMadeWhenItCannotBeatTheInnerFee()
    {
        var (capped, plan) = FeePolicy.Bump(Signed(100), 1200, 500, Payer, Network.Standalone);
        Assert.Equal(1000, Assert.IsType<FeeBumpEnvelope>(capped).FeeBump.Fee);
        Assert.Equal(500, plan!.FeePerOperation);

        var rich = Signed(800);
        Assert.Same(rich, FeePolicy.Bump(rich, 1200, 500, Payer, Network.Standalone).Envelope);
        var enough = Signed(100);
        Assert.Null(FeePolicy.Bump(enough, 100, 500, Payer, Network.Standalone).Plan);
    }

    [Fact]
    public void AFeeBump_IsNeverWrappedAgain()
    {
        var (bumped, _) = FeePolicy.Bump(Signed(100), 1200, 100_000, Payer, Network.Standalone);
        var (again, plan) = FeePolicy.Bump(bumped, 5000, 100_000, Payer, Network.Standalone);
        Assert.Same(bumped, again);
        Assert.Null(plan);
    }

    [Fact]
    public void InsufficientFee_IsRecognisedByResultCodeOrByHorizonsText()
    {
        var hash = new TransactionHash(new byte[32]);
        Assert.True(FeePolicy.IsInsufficientFee(new SubmitOutcome(hash, false, null, new TransactionResult(24_000, TransactionResultCode.TxInsufficientFee, []), null)));
        Assert.True(FeePolicy.IsInsufficientFee(new SubmitOutcome(hash, false, null, null, "tx_insufficient_fee")));
        Assert.False(FeePolicy.IsInsufficientFee(new SubmitOutcome(hash, false, null, new TransactionResult(100, TransactionResultCode.TxBadSeq, []), "tx_bad_seq")));
    }
}
