using Microsoft.Extensions.Time.Testing;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Tests;

/// <summary>An in-process engine on a fake clock, with helpers to fund accounts and submit signed transactions.</summary>
internal sealed class EngineFixture
{
    public EngineFixture(int maxOps = 1000)
    {
        Time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        Engine = new StandaloneNetwork(new StandaloneNetworkOptions { MaxOperationsPerLedger = maxOps }, Time);
        Engine.CloseLedger();
    }

    public FakeTimeProvider Time { get; }

    public StandaloneNetwork Engine { get; }

    public Network Network => Engine.Network;

    public KeyPair Root => Engine.Root;

    public AccountState Account(KeyPair k) => Engine.GetAccount(k.AccountId) ?? throw new InvalidOperationException("no account");

    public SequenceNumber Seq(KeyPair k) => new(Account(k).SeqNum);

    /// <summary>Creates and funds accounts from root in one ledger.</summary>
    public KeyPair[] Fund(int count, decimal lumens = 1000m)
    {
        var keys = Enumerable.Range(0, count).Select(_ => KeyPair.Random()).ToArray();
        var b = new TransactionBuilder(Root.AccountId, Seq(Root));
        foreach (var k in keys)
        {
            b = b.AddOperation(new CreateAccountOperation(k.AccountId, Stroops.FromLumens(lumens)));
        }

        var r = SubmitAndClose(b.BuildEnvelope().Sign(Network, Root));
        Assert.True(r.Successful, r.Result.Code.ToString());
        return keys;
    }

    public TransactionBuilder Builder(KeyPair source) => new(source.AccountId, Seq(source));

    public TransactionEnvelope Sign(TransactionBuilder b, params KeyPair[] signers)
    {
        TransactionEnvelope env = b.BuildEnvelope();
        foreach (var s in signers)
        {
            env = env.Sign(Network, s);
        }

        return env;
    }

    /// <summary>Submits and closes a ledger; fails the test if the submission was refused.</summary>
    public TransactionRecord SubmitAndClose(TransactionEnvelope env)
    {
        var s = Engine.Submit(env);
        Assert.True(s.Status == SubmitStatus.Pending, $"{s.Status} {s.Error?.Code} {string.Join(",", s.Error?.Results.Select(o => o.ToHorizonName()) ?? [])}");
        var closed = Engine.CloseLedger();
        return Assert.Single(closed.Ledger.Transactions, t => t.Hash == s.Hash);
    }

    /// <summary>Submits expecting a refusal at submission; returns its result (nothing enters a ledger).</summary>
    public TransactionResult Rejected(TransactionEnvelope env)
    {
        var s = Engine.Submit(env);
        Assert.Equal(SubmitStatus.Error, s.Status);
        return s.Error!;
    }

    public void Advance(TimeSpan by) => Time.Advance(by);
}
