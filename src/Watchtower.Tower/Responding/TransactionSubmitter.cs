using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Watchtower.Ledger;
using Watchtower.Stellar;
using Watchtower.Tower.Observability;

namespace Watchtower.Tower.Responding;

/// <summary>The account that pays fee bumps (the tower's own funded account); <see cref="None"/> when not configured.</summary>
public sealed record FeeAccount(KeyPair? Keys)
{
    public static FeeAccount None { get; } = new((KeyPair?)null);
}

public enum SubmitResult
{
    /// <summary>On the ledger and successful.</summary>
    Applied,
    /// <summary>txBAD_SEQ: the sequence is already consumed (applied by us or anyone) or not reached: re-read the ledger.</summary>
    SequenceMismatch,
    /// <summary>txTOO_EARLY: its minTime is not reached yet.</summary>
    TooEarly,
    /// <summary>txTOO_LATE: its maxTime has passed.</summary>
    TooLate,
    /// <summary>On the ledger but failed, or rejected for a reason retrying cannot fix.</summary>
    Rejected,
    /// <summary>Every attempt failed for transient reasons (network, fees beyond the ceiling, queue full).</summary>
    GaveUp,
}

public sealed record Submission(SubmitResult Result, TransactionHash? Hash, string? Codes);

/// <summary>
/// Submits one pre-signed transaction: fee-bumped from the tower's fee account when fee stats or a
/// txINSUFFICIENT_FEE answer say its own fee is too low (never above the ceiling), retried with
/// capped backoff on transient failures. Never throws for ledger answers.
/// </summary>
public sealed class TransactionSubmitter(
    ILedgerClient ledger,
    IOptions<FeeOptions> fees,
    IOptions<ResponderOptions> options,
    TowerMetrics metrics,
    TimeProvider time,
    ILogger<TransactionSubmitter> log,
    FeeAccount feeAccount)
{
    private readonly FeeOptions _fees = fees.Value;
    private readonly ResponderOptions _options = options.Value;

    public async Task<Submission> SubmitAsync(TransactionEnvelope envelope, string kind, Network network, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var backoff = new CappedBackoff(_options.RetryInitialDelay, _options.RetryMaxDelay, time);
        long? bid = null;
        Submission last = new(SubmitResult.GaveUp, null, null);
        for (var attempt = 0; attempt < _options.MaxAttempts; attempt++)
        {
            if (attempt > 0)
            {
                await backoff.WaitAsync(ct).ConfigureAwait(false);
            }

            SubmitOutcome outcome;
            try
            {
                bid ??= FeePolicy.RequiredPerOperation(await ledger.GetFeeStatsAsync(ct).ConfigureAwait(false), _fees);
                var toSend = WithFee(envelope, bid.Value, network);
                outcome = await ledger.SubmitAsync(toSend, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is LedgerClientException or HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                log.LogWarning(e, "Submitting a {Kind} failed (attempt {Attempt})", kind, attempt + 1);
                metrics.Submissions.WithLabels(kind, "error").Inc();
                continue;
            }

            var code = Classify(outcome);
            metrics.Submissions.WithLabels(kind, outcome.Success ? "tx_success" : Label(outcome)).Inc();
            last = new Submission(code, outcome.Hash, outcome.ResultCodesText);
            switch (code)
            {
                case SubmitResult.Applied or SubmitResult.SequenceMismatch or SubmitResult.TooEarly or SubmitResult.TooLate or SubmitResult.Rejected:
                    return last;
                case SubmitResult.GaveUp when IsInsufficientFee(outcome):
                    var next = FeePolicy.Escalate(bid!.Value, _fees.MaxFeePerOperation);
                    if (next is null || feeAccount.Keys is null)
                    {
                        metrics.ResponderFailures.WithLabels("fee_ceiling").Inc();
                        return last;
                    }
                    bid = next;
                    break;
            }
        }

        return last;
    }

    private TransactionEnvelope WithFee(TransactionEnvelope envelope, long bidPerOperation, Network network)
    {
        if (feeAccount.Keys is not { } payer)
        {
            return envelope;
        }
        var (bumped, plan) = FeePolicy.Bump(envelope, bidPerOperation, _fees.MaxFeePerOperation, payer, network);
        if (plan is not null)
        {
            metrics.FeeBumps.Inc();
            metrics.FeeBumpStroops.Inc(plan.TotalFee);
        }
        return bumped;
    }

    /// <summary>What a ledger answer means for the responder (a fee bump's inner result counts as the transaction's own).</summary>
    public static SubmitResult Classify(SubmitOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Success)
        {
            return SubmitResult.Applied;
        }
        var code = outcome.Result is { } r
            ? (r.Inner is { } inner && r.Code == TransactionResultCode.TxFeeBumpInnerFailed ? inner.Result.Code : r.Code)
            : (TransactionResultCode?)null;
        var text = outcome.ResultCodesText ?? "";
        if (code == TransactionResultCode.TxBadSeq || text.Contains("tx_bad_seq", StringComparison.Ordinal))
        {
            return SubmitResult.SequenceMismatch;
        }
        if (code == TransactionResultCode.TxTooEarly || text.Contains("tx_too_early", StringComparison.Ordinal))
        {
            return SubmitResult.TooEarly;
        }
        if (code == TransactionResultCode.TxTooLate || text.Contains("tx_too_late", StringComparison.Ordinal))
        {
            return SubmitResult.TooLate;
        }
        if (IsInsufficientFee(outcome) || code is null || code == TransactionResultCode.TxInternalError)
        {
            return SubmitResult.GaveUp;
        }
        return SubmitResult.Rejected;
    }

    private static bool IsInsufficientFee(SubmitOutcome outcome) => FeePolicy.IsInsufficientFee(outcome);

    private static string Label(SubmitOutcome outcome) => outcome.Result is { } r
        ? ResultCodeText.Of(r.Inner is { } inner && r.Code == TransactionResultCode.TxFeeBumpInnerFailed ? inner.Result.Code : r.Code)
        : outcome.ResultCodesText ?? "unknown";
}
