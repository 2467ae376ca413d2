using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Watchtower.Ledger;
using Watchtower.Stellar;

namespace Watchtower.Tower.Tests.Support;

/// <summary>
/// An in-memory ledger with the rules the tower relies on: a transaction needs its source's next
/// sequence (txBAD_SEQ otherwise, failed or not it consumes it when accepted), time bounds against
/// the close time (txTOO_EARLY / txTOO_LATE), a minimum inclusion fee (txINSUFFICIENT_FEE unless
/// fee-bumped high enough), BUMP_SEQUENCE moves its source forward, ACCOUNT_MERGE removes it.
/// Submissions go into the next ledger, closed by <see cref="CloseLedger"/>.
/// </summary>
internal sealed class SimulatedLedger : ILedgerClient
{
    private readonly Lock _gate = new();
    private readonly Dictionary<AccountId, long> _accounts = [];
    private readonly List<LedgerTransaction> _pending = [];
    private readonly List<ClosedLedger> _closed = [];
    private readonly List<Subscriber> _subscribers = [];
    private bool _frozen;

    public SimulatedLedger(Network network, ulong closeTime, uint sequence = 10)
    {
        Network = network;
        CloseTime = closeTime;
        Sequence = sequence;
    }

    public Network Network { get; }

    public ulong CloseTime { get; private set; }

    public uint Sequence { get; private set; }

    /// <summary>Per-operation fee below which a transaction is refused with txINSUFFICIENT_FEE.</summary>
    public long MinFeePerOperation { get; set; } = 100;

    /// <summary>Every accepted transaction, in order (the envelope as submitted).</summary>
    public List<TransactionEnvelope> Applied { get; } = [];

    /// <summary>How many submissions were made in total (accepted or not).</summary>
    public int Submissions { get; private set; }

    /// <summary>While set, closed ledgers are not streamed (a stuck stream); clearing it delivers them.</summary>
    public bool StreamFrozen
    {
        get
        {
            lock (_gate)
            {
                return _frozen;
            }
        }
        set
        {
            lock (_gate)
            {
                _frozen = value;
                if (!value)
                {
                    foreach (var s in _subscribers)
                    {
                        foreach (var l in _closed.Where(l => l.Header.Sequence > s.Delivered))
                        {
                            s.Deliver(l);
                        }
                    }
                }
            }
        }
    }

    /// <summary>While set, every request (reads and submissions) throws as if the API were unreachable; ledgers still close.</summary>
    public bool Unreachable { get; set; }

    private void ThrowIfUnreachable()
    {
        if (Unreachable)
        {
            throw new HttpRequestException("simulated ledger API outage");
        }
    }

    /// <summary>When set, the next N submissions throw as if the API were unreachable.</summary>
    public int FailNextSubmissions { get; set; }

    public void CreateAccount(AccountId id, long sequence)
    {
        lock (_gate)
        {
            _accounts[id] = sequence;
        }
    }

    public long? SequenceOf(AccountId id)
    {
        lock (_gate)
        {
            return _accounts.TryGetValue(id, out var s) ? s : null;
        }
    }

    /// <summary>Closes the next ledger <paramref name="seconds"/> after the previous one, with everything submitted since.</summary>
    public ClosedLedger CloseLedger(ulong seconds = 5)
    {
        ClosedLedger ledger;
        lock (_gate)
        {
            Sequence++;
            CloseTime += seconds;
            var header = new LedgerHeaderInfo(Sequence, DateTimeOffset.FromUnixTimeSeconds((long)CloseTime), Sequence.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), 100, 23);
            ledger = new ClosedLedger(header, [.. _pending.Select(t => t with { Ledger = Sequence })]);
            _pending.Clear();
            _closed.Add(ledger);
            if (!_frozen)
            {
                foreach (var s in _subscribers)
                {
                    s.Deliver(ledger);
                }
            }
        }
        return ledger;
    }

    /// <summary>Puts a transaction on the ledger directly (e.g. the counterparty's stale ratchet).</summary>
    public SubmitOutcome Apply(TransactionEnvelope envelope) => Submit(envelope);

    public Task<Network> GetNetworkAsync(CancellationToken ct) => Task.FromResult(Network);

    public Task<AccountSnapshot?> LoadAccountAsync(AccountId id, CancellationToken ct)
    {
        ThrowIfUnreachable();
        lock (_gate)
        {
            return Task.FromResult(_accounts.TryGetValue(id, out var seq)
                ? new AccountSnapshot(id, new SequenceNumber(seq), Stroops.FromLumens(100), new Thresholds(1, 0, 0, 0), [], Sequence, CloseTime)
                : null);
        }
    }

    /// <summary>Runs on every submission before it is applied (e.g. a test moving its clock: inclusion takes time).</summary>
    public Action? OnSubmit { get; set; }

    public Task<SubmitOutcome> SubmitAsync(TransactionEnvelope envelope, CancellationToken ct)
    {
        OnSubmit?.Invoke();
        ThrowIfUnreachable();
        lock (_gate)
        {
            if (FailNextSubmissions > 0)
            {
                FailNextSubmissions--;
                Submissions++;
                throw new HttpRequestException("simulated network failure");
            }
        }
        return Task.FromResult(Submit(envelope));
    }

    public Task<LedgerHeaderInfo> GetLatestLedgerAsync(CancellationToken ct)
    {
        ThrowIfUnreachable();
        lock (_gate)
        {
            return Task.FromResult(_closed.Count > 0
                ? _closed[^1].Header
                : new LedgerHeaderInfo(Sequence, DateTimeOffset.FromUnixTimeSeconds((long)CloseTime), "", 100, 23));
        }
    }

    public Task<FeeStatsInfo> GetFeeStatsAsync(CancellationToken ct) => Unreachable
        ? Task.FromException<FeeStatsInfo>(new HttpRequestException("simulated ledger API outage"))
        : Task.FromResult(new FeeStatsInfo(100, MinFeePerOperation, MinFeePerOperation, MinFeePerOperation, 0.95));

    public async IAsyncEnumerable<ClosedLedger> StreamLedgersAsync(uint afterLedger, [EnumeratorCancellation] CancellationToken ct)
    {
        var subscriber = new Subscriber(afterLedger);
        lock (_gate)
        {
            if (!_frozen)
            {
                foreach (var l in _closed.Where(l => l.Header.Sequence > afterLedger))
                {
                    subscriber.Deliver(l);
                }
            }
            _subscribers.Add(subscriber);
        }
        try
        {
            await foreach (var ledger in subscriber.Ledgers.Reader.ReadAllAsync(ct))
            {
                yield return ledger;
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(subscriber);
            }
        }
    }

    private sealed class Subscriber(uint after)
    {
        public Channel<ClosedLedger> Ledgers { get; } = Channel.CreateUnbounded<ClosedLedger>();

        public uint Delivered { get; private set; } = after;

        public void Deliver(ClosedLedger ledger)
        {
            Ledgers.Writer.TryWrite(ledger);
            Delivered = ledger.Header.Sequence;
        }
    }

    private SubmitOutcome Submit(TransactionEnvelope envelope)
    {
        lock (_gate)
        {
            Submissions++;
            var hash = envelope.Hash(Network);
            var (tx, bumpRate) = envelope switch
            {
                TransactionV1Envelope v1 => (v1.Transaction, 0L),
                FeeBumpEnvelope fb => (fb.FeeBump.InnerTransaction, fb.FeeBump.Fee / (fb.FeeBump.InnerTransaction.Operations.Length + 1)),
                _ => throw new NotSupportedException("v0 envelopes are not used by channels"),
            };
            var rate = Math.Max(tx.Fee / Math.Max(tx.Operations.Length, 1), bumpRate);
            var source = tx.Source.Account;
            TransactionResultCode? refusal =
                rate < MinFeePerOperation ? TransactionResultCode.TxInsufficientFee
                : !_accounts.TryGetValue(source, out var seq) ? TransactionResultCode.TxNoAccount
                : tx.Sequence.Value != seq + 1 ? TransactionResultCode.TxBadSeq
                : tx.Preconditions.TimeBounds is { } tb && tb.MinTime > CloseTime + 1 ? TransactionResultCode.TxTooEarly
                : tx.Preconditions.TimeBounds is { MaxTime: > 0 } tb2 && tb2.MaxTime < CloseTime + 1 ? TransactionResultCode.TxTooLate
                : null;
            if (refusal is { } code)
            {
                var refused = new TransactionResult(100, code, []);
                return new SubmitOutcome(hash, false, null, refused, ResultCodeText.Of(refused));
            }

            _accounts[source] = tx.Sequence.Value;
            foreach (var op in tx.Operations)
            {
                var opSource = op.SourceAccount?.Account ?? source;
                switch (op)
                {
                    case BumpSequenceOperation bump when _accounts.TryGetValue(opSource, out var current) && bump.BumpTo.Value > current:
                        _accounts[opSource] = bump.BumpTo.Value;
                        break;
                    case AccountMergeOperation:
                        _accounts.Remove(opSource);
                        break;
                }
            }
            var result = new TransactionResult(100, TransactionResultCode.TxSuccess,
                [.. tx.Operations.Select(o => OperationResult.Inner(o.Type, 0))]);
            var final = envelope is FeeBumpEnvelope
                ? new TransactionResult(200, TransactionResultCode.TxFeeBumpInnerSuccess, [], new InnerTransactionResultPair(tx.Hash(Network), new InnerTransactionResult(100, TransactionResultCode.TxSuccess, result.Results)))
                : result;
            Applied.Add(envelope);
            _pending.Add(new LedgerTransaction(hash, envelope, true, final, Sequence + 1, "0"));
            return new SubmitOutcome(hash, true, Sequence + 1, final, ResultCodeText.Of(final));
        }
    }
}
