using BenchmarkDotNet.Attributes;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Benchmarks.Standalone;

/// <summary>
/// Throughput of the standalone network's ledger engine, in process: a ledger of N simple
/// payments or bump-sequence transactions from N distinct accounts.
/// <c>Apply</c> times the ledger close alone (transactions already queued, their signatures
/// verified at submission, as stellar-core verifies before consensus);
/// <c>SubmitAndApply</c> times submission (validation incl. ed25519 verification) plus the close.
/// Both report time per transaction (OperationsPerInvoke = N).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Stellar.BenchConfig))]
public class StandaloneLedgerBenchmarks
{
    private const int N = 2000;
    private StandaloneNetwork _engine = null!;
    private List<TransactionEnvelope> _envelopes = null!;

    [Params("payment", "bump")]
    public string Kind { get; set; } = "payment";

    [IterationSetup(Target = nameof(Apply))]
    public void SetupApply()
    {
        Prepare();
        foreach (var envelope in _envelopes)
        {
            if (_engine.Submit(envelope).Status != SubmitStatus.Pending)
            {
                throw new InvalidOperationException("benchmark transaction refused");
            }
        }
    }

    [IterationSetup(Target = nameof(SubmitAndApply))]
    public void SetupSubmit() => Prepare();

    [Benchmark(OperationsPerInvoke = N)]
    public int Apply() => Check(_engine.CloseLedger());

    [Benchmark(OperationsPerInvoke = N)]
    public int SubmitAndApply()
    {
        foreach (var envelope in _envelopes)
        {
            _engine.Submit(envelope);
        }

        return Check(_engine.CloseLedger());
    }

    private static int Check(CloseResult closed) =>
        closed.Ledger.SuccessfulCount == N ? N : throw new InvalidOperationException($"only {closed.Ledger.SuccessfulCount} of {N} applied");

    /// <summary>A fresh network with N funded accounts and one signed transaction per account.</summary>
    private void Prepare()
    {
        _engine = new StandaloneNetwork(new StandaloneNetworkOptions { MaxOperationsPerLedger = 10 * N }, TimeProvider.System);
        var root = _engine.Root;
        var keys = Enumerable.Range(0, N).Select(_ => KeyPair.Random()).ToList();
        foreach (var batch in keys.Chunk(100))
        {
            var builder = new TransactionBuilder(root.AccountId, new SequenceNumber(_engine.GetAccount(root.AccountId)!.SeqNum));
            foreach (var k in batch)
            {
                builder = builder.AddOperation(new CreateAccountOperation(k.AccountId, Stroops.FromLumens(100m)));
            }

            _engine.Submit(builder.BuildEnvelope().Sign(_engine.Network, root));
            _engine.CloseLedger();
        }

        var destination = keys[0].AccountId;
        _envelopes = keys.Select(k =>
        {
            Operation op = Kind == "payment"
                ? new PaymentOperation(destination == k.AccountId ? root.AccountId : destination, Asset.Native, new Stroops(1_000))
                : new BumpSequenceOperation(new SequenceNumber(_engine.GetAccount(k.AccountId)!.SeqNum + 10));
            return new TransactionBuilder(k.AccountId, new SequenceNumber(_engine.GetAccount(k.AccountId)!.SeqNum))
                .AddOperation(op).BuildEnvelope().Sign(_engine.Network, k);
        }).ToList();
    }
}
