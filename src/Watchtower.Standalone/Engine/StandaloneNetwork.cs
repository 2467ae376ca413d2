using System.Collections.Immutable;
using System.Numerics;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Engine;

/// <summary>Settings of the ledger engine.</summary>
public sealed record StandaloneNetworkOptions
{
    public string Passphrase { get; init; } = Network.Standalone.Passphrase;

    /// <summary>Operations per ledger (the header's maxTxSetSize); beyond it surge pricing picks the best fee rates.</summary>
    public int MaxOperationsPerLedger { get; init; } = 1000;

    public uint BaseFee { get; init; } = 100;

    public uint BaseReserve { get; init; } = 5_000_000;

    public uint ProtocolVersion { get; init; } = 22;
}

public enum SubmitStatus
{
    /// <summary>Accepted into the queue; it will be applied at a coming ledger close.</summary>
    Pending,

    /// <summary>This very envelope is already queued.</summary>
    Duplicate,

    /// <summary>Another transaction of the same source account is queued (core's one-per-account limit).</summary>
    TryAgainLater,

    /// <summary>Rejected; <see cref="SubmitResult.Error"/> says why. Nothing was charged.</summary>
    Error,
}

public sealed record SubmitResult(SubmitStatus Status, TransactionHash Hash, TransactionResult? Error = null);

/// <summary>A queued transaction dropped at a ledger close because it stopped being valid (e.g. past its maxTime).</summary>
public sealed record DroppedTransaction(TxFrame Frame, TransactionResult Result);

public sealed record CloseResult(LedgerRecord Ledger, ImmutableArray<DroppedTransaction> Dropped, long SurgeBaseFee);

/// <summary>
/// The embedded ledger: state, a transaction queue and the ledger close, with stellar-core's rules.
/// Pure apart from the injected <see cref="TimeProvider"/>; not thread-safe (the server serializes calls).
/// </summary>
public sealed class StandaloneNetwork
{
    /// <summary>100 billion XLM, all held by the root account at genesis.</summary>
    public const long TotalCoins = 1_000_000_000_000_000_000;

    private readonly StandaloneNetworkOptions _options;
    private readonly TimeProvider _time;
    private readonly LedgerEntries _entries = new();
    private readonly List<LedgerRecord> _ledgers = new();
    private readonly Dictionary<TransactionHash, TransactionRecord> _byHash = new();
    private readonly Dictionary<AccountId, List<TransactionRecord>> _byAccount = new();
    private readonly Dictionary<AccountId, Pending> _queue = new();
    private readonly Dictionary<AccountId, long> _queuedFees = new();
    private long _arrivals;
    private long _feePool;

    public StandaloneNetwork(StandaloneNetworkOptions options, TimeProvider time)
        : this(options, time, state: null)
    {
    }

    internal StandaloneNetwork(StandaloneNetworkOptions options, TimeProvider time, Persistence.NetworkSnapshot? state)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        Network = new Network(options.Passphrase);
        // As in stellar-core, the root key's seed is the network id.
        Root = KeyPair.FromSeed(new SecretSeed(Network.NetworkId.Bytes));
        if (state is null)
        {
            Genesis();
        }
        else
        {
            state.RestoreInto(this);
        }
    }

    public Network Network { get; }

    public KeyPair Root { get; }

    public StandaloneNetworkOptions Options => _options;

    public LedgerRecord Latest => _ledgers[^1];

    public IReadOnlyList<LedgerRecord> Ledgers => _ledgers;

    /// <summary>Added to the time provider's clock: test and demo control of ledger time.</summary>
    public TimeSpan ClockOffset { get; private set; }

    /// <summary>Ledger time now: what the next close will use (if later than the last close).</summary>
    public DateTimeOffset Now => _time.GetUtcNow() + ClockOffset;

    public int PendingCount => _queue.Count;

    public AccountState? GetAccount(AccountId id) => _entries.Accounts.GetValueOrDefault(id);

    public IEnumerable<TrustLineState> TrustLinesOf(AccountId id) => _entries.TrustLines.Values.Where(t => t.Account == id);

    public LedgerRecord? GetLedger(uint sequence) =>
        sequence >= 1 && sequence <= _ledgers.Count ? _ledgers[(int)sequence - 1] : null;

    /// <summary>A transaction by its hash or, for a fee bump, by its inner transaction's hash (as Horizon finds it).</summary>
    public TransactionRecord? GetTransaction(TransactionHash hash) => _byHash.GetValueOrDefault(hash);

    /// <summary>Transactions an account took part in (source, fee source, operation source or destination), oldest first.</summary>
    public IReadOnlyList<TransactionRecord> TransactionsOf(AccountId id) =>
        _byAccount.TryGetValue(id, out var list) ? list : [];

    public void AdvanceClock(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "ledger time never goes back");
        }

        ClockOffset += by;
    }

    /// <summary>
    /// Refuses an envelope the codec cannot even decode (an operation it does not know): as one whose
    /// operations it decodes but does not apply, txNOT_SUPPORTED, never queued nor charged.
    /// </summary>
    public SubmitResult Refuse(UnmodelledEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var lcl = Latest.Header;
        var ctx = new LedgerContext(lcl.Sequence + 1, lcl.CloseTime, _options.BaseFee, _options.BaseReserve);
        return NotSupported(ctx, envelope.Hash(Network), envelope.FeeOperations);
    }

    private static SubmitResult NotSupported(LedgerContext ctx, TransactionHash hash, int feeOps) =>
        new(SubmitStatus.Error, hash, new TransactionResult(TransactionProcessor.MinFee(ctx, feeOps), TransactionResultCode.TxNotSupported, []));

    /// <summary>Validates an envelope against the last closed ledger and queues it (stellar-core's TransactionQueue::tryAdd).</summary>
    public SubmitResult Submit(TransactionEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var frame = TxFrame.Create(envelope, Network);
        var lcl = Latest.Header;
        var ctx = new LedgerContext(lcl.Sequence + 1, lcl.CloseTime, _options.BaseFee, _options.BaseReserve);
        if (!frame.Tx.Operations.All(Operations.IsModelled))
        {
            return NotSupported(ctx, frame.Hash, frame.FeeOps);
        }

        Pending? replaced = null;
        if (_queue.TryGetValue(frame.Source, out var existing))
        {
            if (existing.Frame.Hash == frame.Hash)
            {
                return new SubmitResult(SubmitStatus.Duplicate, frame.Hash);
            }

            if (!frame.IsFeeBump || existing.Frame.InnerHash != frame.InnerHash)
            {
                return new SubmitResult(SubmitStatus.TryAgainLater, frame.Hash);
            }

            // Replace-by-fee: a fee bump of the queued transaction needs at least 10x its fee rate.
            var needed = (BigInteger)10 * existing.Frame.FeeBid * frame.FeeOps;
            if ((BigInteger)frame.FeeBid * existing.Frame.FeeOps < needed)
            {
                var minReplace = (long)((needed + existing.Frame.FeeOps - 1) / existing.Frame.FeeOps);
                return new SubmitResult(SubmitStatus.Error, frame.Hash, new TransactionResult(minReplace, TransactionResultCode.TxInsufficientFee, []));
            }

            replaced = existing;
        }

        var upperOffset = (ulong)Math.Max(0, NowUnix() - (long)lcl.CloseTime);
        var check = TransactionProcessor.CheckValid(new LedgerView(_entries), ctx, frame, upperOffset);
        if (!check.IsSuccess)
        {
            return new SubmitResult(SubmitStatus.Error, frame.Hash, check);
        }

        // The fee source must be able to pay for all its queued transactions together.
        var queuedFees = _queuedFees.GetValueOrDefault(frame.FeeSource) - (replaced?.Frame.FeeSource == frame.FeeSource ? replaced.Frame.FeeBid : 0);
        var feeSource = _entries.Accounts[frame.FeeSource];
        if (feeSource.AvailableBalance(_options.BaseReserve) - queuedFees < frame.FeeBid)
        {
            return new SubmitResult(SubmitStatus.Error, frame.Hash,
                new TransactionResult(TransactionProcessor.MinFee(ctx, frame.FeeOps), TransactionResultCode.TxInsufficientBalance, []));
        }

        if (replaced is not null)
        {
            Dequeue(replaced);
        }

        _queue[frame.Source] = new Pending(frame, envelope.ToXdr(), ++_arrivals);
        _queuedFees[frame.FeeSource] = _queuedFees.GetValueOrDefault(frame.FeeSource) + frame.FeeBid;
        return new SubmitResult(SubmitStatus.Pending, frame.Hash);
    }

    /// <summary>
    /// Closes the next ledger at ledger time <see cref="Now"/> (at least one second after the last close).
    /// Atomic: the new entries, fee pool, queue and chain are built aside and committed only once the
    /// whole close has succeeded, so an exception leaves the network exactly as it was.
    /// </summary>
    public CloseResult CloseLedger()
    {
        var lcl = Latest.Header;
        var closeTime = (ulong)Math.Max(NowUnix(), (long)lcl.CloseTime + 1);
        var ctx = new LedgerContext(lcl.Sequence + 1, closeTime, _options.BaseFee, _options.BaseReserve);

        // Queued transactions that stopped being valid are dropped without a fee, like core's trimInvalid.
        var check = new LedgerView(_entries);
        var dropped = ImmutableArray.CreateBuilder<DroppedTransaction>();
        var leaving = new List<Pending>();
        var candidates = new List<Pending>();
        foreach (var pending in _queue.Values.OrderBy(p => p.Arrival))
        {
            var result = TransactionProcessor.CheckValid(check, ctx, pending.Frame, 0);
            if (result.IsSuccess)
            {
                candidates.Add(pending);
            }
            else
            {
                dropped.Add(new DroppedTransaction(pending.Frame, result));
                leaving.Add(pending);
            }
        }

        var (included, surgeBaseFee) = SelectTransactionSet(candidates);
        var view = new LedgerView(_entries);
        var feePool = _feePool;
        var fees = new long[included.Count];
        for (var i = 0; i < included.Count; i++)
        {
            var frame = included[i].Frame;
            var payer = view.Account(frame.FeeSource)!;
            var fee = Math.Min(payer.Balance, Math.Min(frame.FeeBid, surgeBaseFee * frame.FeeOps));
            view.Put(payer with { Balance = payer.Balance - fee, LastModifiedLedger = ctx.LedgerSeq });
            feePool += fee;
            fees[i] = fee;
        }

        var records = ImmutableArray.CreateBuilder<TransactionRecord>(included.Count);
        var createdAt = DateTimeOffset.FromUnixTimeSeconds((long)closeTime);
        for (var i = 0; i < included.Count; i++)
        {
            var result = TransactionProcessor.Apply(view, ctx, included[i].Frame, fees[i], surgeBaseFee);
            records.Add(new TransactionRecord(included[i].Frame, included[i].EnvelopeXdr, ctx.LedgerSeq, i + 1, createdAt, result));
            leaving.Add(included[i]);
        }

        var ledger = Seal(lcl, ctx, records.ToImmutable(), feePool);

        // Commit: nothing below throws.
        view.Commit();
        _feePool = feePool;
        foreach (var pending in leaving)
        {
            Dequeue(pending);
        }

        Append(ledger);
        return new CloseResult(ledger, dropped.ToImmutable(), surgeBaseFee);
    }

    internal long FeePool => _feePool;

    internal LedgerEntries Entries => _entries;

    /// <summary>Restores a persisted chain (used by the snapshot loader).</summary>
    internal void Restore(IEnumerable<LedgerRecord> ledgers, TimeSpan clockOffset, long feePool)
    {
        foreach (var ledger in ledgers)
        {
            Append(ledger);
        }

        ClockOffset = clockOffset;
        _feePool = feePool;
    }

    private void Dequeue(Pending pending)
    {
        _queue.Remove(pending.Frame.Source);
        var left = _queuedFees[pending.Frame.FeeSource] - pending.Frame.FeeBid;
        if (left == 0)
        {
            _queuedFees.Remove(pending.Frame.FeeSource);
        }
        else
        {
            _queuedFees[pending.Frame.FeeSource] = left;
        }
    }

    private long NowUnix() => Now.ToUnixTimeSeconds();

    private void Genesis()
    {
        _entries.Accounts[Root.AccountId] = AccountState.Create(Root.AccountId, TotalCoins, 0, 1);
        var header = new LedgerHeaderRecord(1, 0, default, _options.ProtocolVersion, TotalCoins, 0, _options.BaseFee,
            _options.BaseReserve, (uint)_options.MaxOperationsPerLedger, default, default);
        Append(new LedgerRecord(header, ImmutableArray<TransactionRecord>.Empty));
    }

    /// <summary>
    /// Surge pricing: highest fee rate first (then arrival); when the set is full the ledger's base
    /// fee rises to the lowest rate that made it in, and every included transaction pays that rate.
    /// </summary>
    private (List<Pending> Included, long BaseFee) SelectTransactionSet(List<Pending> candidates)
    {
        var byRate = candidates.ToList();
        byRate.Sort((a, b) =>
        {
            var cmp = ((BigInteger)b.Frame.FeeBid * a.Frame.FeeOps).CompareTo((BigInteger)a.Frame.FeeBid * b.Frame.FeeOps);
            return cmp != 0 ? cmp : a.Arrival.CompareTo(b.Arrival);
        });

        var included = new List<Pending>();
        var ops = 0;
        var full = false;
        foreach (var c in byRate)
        {
            if (ops + c.Frame.FeeOps > _options.MaxOperationsPerLedger)
            {
                full = true;
                continue;
            }

            included.Add(c);
            ops += c.Frame.FeeOps;
        }

        long baseFee = _options.BaseFee;
        if (full && included.Count > 0)
        {
            baseFee = Math.Max(baseFee, included.Min(p => p.Frame.FeeBid / p.Frame.FeeOps));
        }

        included.Sort((a, b) => a.Arrival.CompareTo(b.Arrival));
        return (included, baseFee);
    }

    private LedgerRecord Seal(LedgerHeaderRecord previous, LedgerContext ctx, ImmutableArray<TransactionRecord> txs, long feePool)
    {
        var setWriter = new XdrWriter(256);
        setWriter.WriteFixedOpaque(previous.Hash.Bytes);
        setWriter.WriteUInt32((uint)txs.Length);
        var resultWriter = new XdrWriter(256);
        resultWriter.WriteUInt32((uint)txs.Length);
        foreach (var tx in txs)
        {
            setWriter.WriteFixedOpaque(tx.EnvelopeXdr);
            resultWriter.WriteFixedOpaque(tx.Hash.Bytes);
            tx.Result.WriteXdr(resultWriter);
        }

        var header = new LedgerHeaderRecord(ctx.LedgerSeq, ctx.CloseTime, previous.Hash, _options.ProtocolVersion, TotalCoins,
            feePool, _options.BaseFee, _options.BaseReserve, (uint)_options.MaxOperationsPerLedger,
            Hash256.Sha256(setWriter.WrittenSpan), Hash256.Sha256(resultWriter.WrittenSpan));
        return new LedgerRecord(header, txs);
    }

    private void Append(LedgerRecord ledger)
    {
        _ledgers.Add(ledger);
        foreach (var tx in ledger.Transactions)
        {
            _byHash[tx.Hash] = tx;
            if (tx.Frame.IsFeeBump)
            {
                _byHash.TryAdd(tx.Frame.InnerHash, tx);
            }

            foreach (var account in Participants(tx.Frame))
            {
                if (!_byAccount.TryGetValue(account, out var list))
                {
                    _byAccount[account] = list = new List<TransactionRecord>();
                }

                list.Add(tx);
            }
        }
    }

    private static HashSet<AccountId> Participants(TxFrame frame)
    {
        var set = new HashSet<AccountId> { frame.Source, frame.FeeSource };
        foreach (var op in frame.Tx.Operations)
        {
            if (op.SourceAccount is { } source)
            {
                set.Add(source.Account);
            }

            switch (op)
            {
                case CreateAccountOperation ca:
                    set.Add(ca.Destination);
                    break;
                case PaymentOperation p:
                    set.Add(p.Destination.Account);
                    break;
                case AccountMergeOperation am:
                    set.Add(am.Destination.Account);
                    break;
            }
        }

        return set;
    }

    private sealed record Pending(TxFrame Frame, byte[] EnvelopeXdr, long Arrival);
}
