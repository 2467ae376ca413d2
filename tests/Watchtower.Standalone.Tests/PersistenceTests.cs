using Watchtower.Standalone.Engine;
using Watchtower.Standalone.Persistence;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

public sealed class PersistenceTests
{
    [Fact]
    public void Snapshot_RoundTrips_EntriesChainAndResults()
    {
        var f = new EngineFixture();
        var (a, b, issuer, payer) = (f.Fund(1)[0], f.Fund(1)[0], f.Fund(1)[0], f.Fund(1)[0]);
        var usd = Asset.Credit("USD", issuer.AccountId);
        f.SubmitAndClose(f.Sign(f.Builder(a)
            .AddOperation(new ChangeTrustOperation(usd, 1000))
            .AddOperation(new ManageDataOperation("k", [1, 2, 3]))
            .AddOperation(new SetOptionsOperation(null, null, null, null, null, null, null, "a.example",
                new Signer(new PreAuthTxSignerKey(Hash256.Sha256([9])), 1))), a));
        f.SubmitAndClose(f.Sign(f.Builder(issuer).AddOperation(new PaymentOperation(a.AccountId, usd, new Stroops(500))), issuer));
        var inner = f.Sign(f.Builder(b).AddOperation(new AccountMergeOperation(payer.AccountId)), b);
        var merged = f.SubmitAndClose(FeeBumpTransaction.Wrap(inner, payer.AccountId, 400).ToEnvelope().Sign(f.Network, payer));
        Assert.True(merged.Successful);
        f.Engine.AdvanceClock(TimeSpan.FromDays(2));
        f.Engine.CloseLedger();

        var json = NetworkSnapshot.Capture(f.Engine).ToJson();
        var restored = new StandaloneNetwork(new StandaloneNetworkOptions(), f.Time, NetworkSnapshot.FromJson(json));

        foreach (var id in new[] { a, issuer, payer, f.Root }.Select(k => k.AccountId))
        {
            Assert.Equal(f.Engine.GetAccount(id), restored.GetAccount(id));
        }

        Assert.Null(restored.GetAccount(b.AccountId));
        Assert.Equal(f.Engine.TrustLinesOf(a.AccountId), restored.TrustLinesOf(a.AccountId));
        Assert.Equal(f.Engine.Ledgers.Select(l => l.Header.Hash), restored.Ledgers.Select(l => l.Header.Hash));
        Assert.Equal(merged.ResultXdr, restored.GetTransaction(merged.Hash)!.ResultXdr);
        Assert.Same(restored.GetTransaction(merged.Hash), restored.GetTransaction(inner.Hash(f.Network)));
        Assert.Equal(f.Engine.ClockOffset, restored.ClockOffset);
        Assert.Equal(f.Engine.Latest.Sequence + 1, restored.CloseLedger().Ledger.Sequence);
    }
}
