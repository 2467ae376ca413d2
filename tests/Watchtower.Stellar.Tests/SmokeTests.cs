using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Stellar.Tests;

public class SmokeTests
{
    [Fact]
    public void JsSignedPayment_DecodesReencodesAndHashesLikeTheJsSdk()
    {
        const string xdr = "AAAAAgAAAACKiOPddAnxlf1S2y08ul1yymcJvx2UEhvzdIgBtA9vXAAAAGQAAAAAAAAAZQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAJoaQAAAAAAAQAAAAAAAAABAAAAAIqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29cAAAAAAAAAAAHc1lAAAAAAAAAAAG0D29cAAAAQDsPT2eQKGoSnntZWedzBBElIUb76qRSIpea18/o0HaiqbekHLbM/lL3jopQCAHESbNd9wPIx4nfYhcxtmo0cgE=";
        var env = TransactionEnvelope.FromXdrBase64(xdr);
        Assert.Equal(xdr, env.ToXdrBase64());
        Assert.Equal("ac796cc8986ac3fa93578b9b0ed63e7361a45f8d8c42a7a4569ff50df5dfef5e", env.Hash(Network.Testnet).ToString());
        var kp = KeyPair.FromSecret("SAAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQC5MY");
        Assert.Equal("GCFIRY65OQE7DFP5KLNS2PF2LVZMUZYJX4OZIEQ36N2IQANUB5XVYOJR", kp.AccountId.ToString());
        var tx = ((TransactionV1Envelope)env).Transaction;
        var resigned = tx.ToEnvelope().Sign(Network.Testnet, kp);
        Assert.Equal(xdr, resigned.ToXdrBase64());
        var built = new TransactionBuilder(kp.AccountId, new SequenceNumber(100))
            .WithTimeBounds(0, 0)
            .WithMemo(new MemoText("hi"))
            .AddOperation(new PaymentOperation(kp.AccountId, Asset.Native, Stroops.Parse("12.5")))
            .Build();
        Assert.Equal(tx, built);
    }
}
