using Microsoft.Extensions.Logging;
using Watchtower.Standalone.Engine;
using Watchtower.Standalone.Persistence;
using Watchtower.Stellar;

namespace Watchtower.Standalone;

/// <summary>What became of a submission: queued and then included, or refused.</summary>
public sealed record SubmissionOutcome(SubmitStatus Status, TransactionHash Hash, TransactionRecord? Record, TransactionResult? Error);

/// <summary>
/// Owns the engine: serializes every call to it, runs the ledger close loop on the
/// <see cref="TimeProvider"/>, wakes submitters and streams when ledgers close, and persists.
/// </summary>
internal sealed partial class LedgerHost : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly StandaloneOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Dictionary<TransactionHash, TaskCompletionSource<SubmissionOutcome>> _waiters = new();
    private readonly SemaphoreSlim _submitted = new(0);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _nextLedger = NewSignal();
    private Task _loop = Task.CompletedTask;

    public StandaloneMetrics Metrics { get; } = new();

    public LedgerHost(StandaloneOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _log = options.LoggerFactory.CreateLogger<LedgerHost>();
        var snapshot = options.StatePath is null ? null : NetworkSnapshot.Load(options.StatePath);
        Engine = new StandaloneNetwork(options.NetworkOptions, time, snapshot);
    }

    /// <summary>The engine; touch it only inside <see cref="Read{T}"/> or through the host's methods.</summary>
    private StandaloneNetwork Engine { get; }

    public Network Network => Engine.Network;

    public KeyPair Root => Engine.Root;

    public void Start()
    {
        if (_options.CloseOnSubmit)
        {
            _loop = Task.Run(() => CloseOnSubmitLoop(_stop.Token));
        }
        else if (_options.CloseInterval is { } interval)
        {
            _loop = Task.Run(() => IntervalLoop(interval, _stop.Token));
        }
    }

    public T Read<T>(Func<StandaloneNetwork, T> read)
    {
        lock (_gate)
        {
            return read(Engine);
        }
    }

    /// <summary>Completes when the next ledger closes.</summary>
    public Task NextLedger
    {
        get
        {
            lock (_gate)
            {
                return _nextLedger.Task;
            }
        }
    }

    /// <summary>Queues an envelope; the returned task completes when it is included or refused.</summary>
    public Task<SubmissionOutcome> Submit(TransactionEnvelope envelope)
    {
        lock (_gate)
        {
            var hash = envelope.Hash(Engine.Network);
            if (Engine.GetTransaction(hash) is { } done)
            {
                return Task.FromResult(new SubmissionOutcome(SubmitStatus.Duplicate, hash, done, null));
            }

            var result = Engine.Submit(envelope);
            Metrics.Submitted(result.Status, Engine.PendingCount);
            switch (result.Status)
            {
                case SubmitStatus.Pending or SubmitStatus.Duplicate:
                    if (!_waiters.TryGetValue(result.Hash, out var waiter))
                    {
                        _waiters[result.Hash] = waiter = new TaskCompletionSource<SubmissionOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    _submitted.Release();
                    return waiter.Task;
                default:
                    return Task.FromResult(new SubmissionOutcome(result.Status, result.Hash, null, result.Error));
            }
        }
    }

    /// <summary>Queues without waiting (RPC sendTransaction, Horizon's async submission).</summary>
    public SubmitResult SubmitNoWait(TransactionEnvelope envelope)
    {
        lock (_gate)
        {
            var result = Engine.Submit(envelope);
            Metrics.Submitted(result.Status, Engine.PendingCount);
            if (result.Status is SubmitStatus.Pending)
            {
                _submitted.Release();
            }

            return result;
        }
    }

    /// <summary>Refuses an envelope of operations the network does not model (counted as an error submission).</summary>
    public SubmitResult Refuse(UnmodelledEnvelope envelope)
    {
        lock (_gate)
        {
            var result = Engine.Refuse(envelope);
            Metrics.Submitted(result.Status, Engine.PendingCount);
            LogRefused(_log, result.Hash, envelope.Reason);
            return result;
        }
    }

    public LedgerRecord CloseLedger()
    {
        CloseResult closed;
        NetworkSnapshot? snapshot = null;
        TaskCompletionSource signal;
        int queued;
        var completions = new List<(TaskCompletionSource<SubmissionOutcome> Waiter, SubmissionOutcome Outcome)>();
        var started = _time.GetTimestamp();
        lock (_gate)
        {
            closed = Engine.CloseLedger();
            foreach (var tx in closed.Ledger.Transactions)
            {
                Complete(tx.Hash, new SubmissionOutcome(SubmitStatus.Pending, tx.Hash, tx, null), completions);
                if (tx.Frame.IsFeeBump)
                {
                    Complete(tx.Frame.InnerHash, new SubmissionOutcome(SubmitStatus.Pending, tx.Frame.InnerHash, tx, null), completions);
                }
            }

            foreach (var dropped in closed.Dropped)
            {
                Complete(dropped.Frame.Hash, new SubmissionOutcome(SubmitStatus.Error, dropped.Frame.Hash, null, dropped.Result), completions);
            }

            if (_options.StatePath is not null)
            {
                snapshot = NetworkSnapshot.Capture(Engine);
            }

            signal = _nextLedger;
            _nextLedger = NewSignal();
            queued = Engine.PendingCount;
        }

        try
        {
            snapshot?.Save(_options.StatePath!);
        }
        finally
        {
            // The ledger is closed in memory even if saving it failed (the next close saves again):
            // its submitters and streams are told either way.
            foreach (var (waiter, outcome) in completions)
            {
                waiter.TrySetResult(outcome);
            }

            signal.TrySetResult();
            Metrics.Closed(closed, queued, _time.GetElapsedTime(started));
        }

        return closed.Ledger;
    }

    public LedgerRecord AdvanceClockAndClose(TimeSpan by)
    {
        lock (_gate)
        {
            Engine.AdvanceClock(by);
        }

        return CloseLedger();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the loop ends by cancellation
        }

        _stop.Dispose();
        _submitted.Dispose();
        lock (_gate)
        {
            _nextLedger.TrySetCanceled();
        }
    }

    private void Complete(TransactionHash hash, SubmissionOutcome outcome, List<(TaskCompletionSource<SubmissionOutcome>, SubmissionOutcome)> completions)
    {
        if (_waiters.Remove(hash, out var waiter))
        {
            completions.Add((waiter, outcome));
        }
    }

    private async Task IntervalLoop(TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(interval, _time, ct).ConfigureAwait(false);
            CloseLedgerInLoop();
        }
    }

    private static readonly TimeSpan FirstCloseRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxCloseRetry = TimeSpan.FromSeconds(5);

    private async Task CloseOnSubmitLoop(CancellationToken ct)
    {
        // Zero: wait for the next submission. Otherwise a close failed with transactions still
        // queued, and their submitters are waiting: retry on a capped backoff, not only when
        // somebody else happens to submit.
        var retry = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            if (retry == TimeSpan.Zero)
            {
                await _submitted.WaitAsync(ct).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(retry, _time, ct).ConfigureAwait(false);
            }

            // Everything queued so far goes into one ledger.
            while (_submitted.CurrentCount > 0)
            {
                await _submitted.WaitAsync(ct).ConfigureAwait(false);
            }

            var failed = Read(e => e.PendingCount) > 0 && !CloseLedgerInLoop();
            retry = !failed || Read(e => e.PendingCount) == 0 ? TimeSpan.Zero
                : retry == TimeSpan.Zero ? FirstCloseRetry
                : TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxCloseRetry.Ticks));
        }
    }

    /// <summary>
    /// A failed close must not end the loop: the engine's close is atomic, so the ledger is as it
    /// was and the queued transactions are tried again at the next close.
    /// </summary>
    private bool CloseLedgerInLoop()
    {
        try
        {
            CloseLedger();
            return true;
        }
#pragma warning disable CA1031 // whatever the engine or the disk threw, the loop goes on; the error is logged
        catch (Exception e)
#pragma warning restore CA1031
        {
            Metrics.CloseFailures.Inc();
            LogCloseFailed(_log, e);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Transaction {Hash} refused with txNOT_SUPPORTED: {Reason}")]
    private static partial void LogRefused(ILogger logger, TransactionHash hash, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ledger close failed; the close loop goes on")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
