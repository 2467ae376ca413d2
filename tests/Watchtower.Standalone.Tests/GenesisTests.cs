using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

public sealed class GenesisTests
{
    [Fact]
    public void Root_IsDerivedFromNetworkId_AndHoldsAllCoins_AtSequenceZero()
    {
        var f = new EngineFixture();
        Assert.Equal(KeyPair.FromSeed(new SecretSeed(Network.Standalone.NetworkId.Bytes)).AccountId, f.Root.AccountId);
        var genesis = f.Engine.GetLedger(1)!;
        Assert.Equal(0UL, genesis.Header.CloseTime);
        Assert.Equal(1_000_000_000_000_000_000L, genesis.Header.TotalCoins);
        Assert.Equal(0L, f.Engine.GetLedger(1)!.Transactions.Length);
        Assert.Equal(1_000_000_000_000_000_000L, f.Account(f.Root).Balance);
        Assert.Equal(0L, f.Account(f.Root).SeqNum);
    }

    [Fact]
    public void CreatedAccount_StartsAtLedgerSequenceShiftedLeft32()
    {
        var f = new EngineFixture();
        var keys = f.Fund(1);
        var created = f.Account(keys[0]);
        Assert.Equal((long)f.Engine.Latest.Sequence << 32, created.SeqNum);
        Assert.Equal(Stroops.FromLumens(1000m).Value, created.Balance);
    }

    [Fact]
    public void LedgerChain_LinksPreviousHash_AndHashIsSha256OfHeaderXdr()
    {
        var f = new EngineFixture();
        f.Fund(1);
        var l = f.Engine.Latest.Header;
        var prev = f.Engine.GetLedger(l.Sequence - 1)!.Header;
        Assert.Equal(prev.Hash, l.PreviousHash);
        Assert.Equal(Hash256.Sha256(l.HeaderXdr), l.Hash);
        Assert.True(l.CloseTime > prev.CloseTime);
    }
}
