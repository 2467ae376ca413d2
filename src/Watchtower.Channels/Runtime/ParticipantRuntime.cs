using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Transport;
using Watchtower.Channels.Wire;
using Watchtower.Protocol;
using Watchtower.Ledger;
using Watchtower.Stellar;

namespace Watchtower.Channels.Runtime;

/// <summary>What one monitor step saw and did.</summary>
public sealed record MonitorStep(MonitorDecision Decision, SequenceNumber? EscrowSequence, DateTimeOffset LedgerTime, ImmutableArray<SubmitOutcome> Submissions);

/// <summary>
/// One participant of a channel: drives the pure protocol over a transport, persists every new
/// state before any message leaves (so whatever a peer may hold, our file holds too), publishes a
/// bundle after each completed round, and applies the monitor/timeout rules against the ledger.
/// Ledger close time is the only clock protocol decisions see. Not thread-safe by design: calls
/// are serialized by an internal gate.
/// </summary>
public sealed class ParticipantRuntime
{
    private static readonly Meter Meter = new("Watchtower.Channels");
    private static readonly Counter<long> RejectedCounter = Meter.CreateCounter<long>("watchtower_channel_rejected_messages_total", description: "Inbound peer messages refused, by error code");
    private static readonly Counter<long> RoundsCounter = Meter.CreateCounter<long>("watchtower_channel_rounds_completed_total", description: "Rounds that became final for a participant");

    private static readonly Counter<long> FeeBumpsCounter = Meter.CreateCounter<long>("watchtower_channel_fee_bumps_total", description: "Pre-signed channel transactions submitted inside a fee bump paid by the wallet");
    private static readonly Counter<long> FeeBumpStroopsCounter = Meter.CreateCounter<long>("watchtower_channel_fee_bump_stroops_total", unit: "stroops", description: "Fees offered in those fee bumps");

    // Doubling from the base fee reaches any sensible cap well within this; it bounds a pathological ledger.
    private const int MaxSubmitAttempts = 16;

    private readonly ParticipantKeys _keys;
    private readonly IPeerTransport _transport;
    private readonly ILedgerClient _ledger;
    private readonly IChannelStore _store;
    private readonly IBundleSink _bundles;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private const int KeptErrors = 256;
    private readonly Queue<ProtocolError> _errors = new();
    private long _refreshAttemptedFor = -1;

    private ParticipantRuntime(ParticipantKeys keys, ChannelState state, IPeerTransport transport, ILedgerClient ledger, IChannelStore store, IBundleSink bundles)
    {
        _keys = keys;
        State = state;
        _transport = transport;
        _ledger = ledger;
        _store = store;
        _bundles = bundles;
    }

    public ChannelState State { get; private set; }

    /// <summary>
    /// How our pre-signed transactions (fixed fee: <see cref="ChannelParameters.FeePerOperation"/>)
    /// are fee-bumped when the network asks more: the wallet key pays, never above
    /// <see cref="FeeOptions.MaxFeePerOperation"/> per operation. Configuration, not state: set it
    /// again after a restore.
    /// </summary>
    public FeeOptions Fees { get; set; } = new();

    public int Me => State.Me;

    /// <summary>Frames that could not be handed to the transport (peer down).</summary>
    public int SendFailures { get; private set; }

    /// <summary>The most recent refused inputs (typed), newest last; bounded so a hostile peer cannot grow it.</summary>
    public IReadOnlyList<ProtocolError> Errors => [.. _errors];

    /// <summary>Every refused input since start.</summary>
    public long RejectedCount { get; private set; }

    /// <summary>A new participant: state saved before anything else happens.</summary>
    public static async Task<ParticipantRuntime> CreateAsync(
        ParticipantKeys keys, ChannelState state, IPeerTransport transport, ILedgerClient ledger, IChannelStore store, IBundleSink bundles, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(store);
        var me = state.Parameters.Participants[state.Me];
        if (keys.Wallet.AccountId != me.Wallet || keys.Version.AccountId != me.VersionAccount || keys.Ratchet.AccountId != me.RatchetKey)
        {
            throw new ArgumentException("the keys do not match this participant's accounts", nameof(keys));
        }

        var runtime = new ParticipantRuntime(keys, state, transport, ledger, store, bundles);
        await store.SaveAsync(StateCodec.Encode(keys, state), ct).ConfigureAwait(false);
        return runtime;
    }

    /// <summary>Restart from the stored state (after a crash).</summary>
    public static async Task<ParticipantRuntime> RestoreAsync(IPeerTransport transport, ILedgerClient ledger, IChannelStore store, IBundleSink bundles, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var bytes = await store.LoadAsync(ct).ConfigureAwait(false) ?? throw new InvalidOperationException("no stored channel state");
        var (keys, state) = StateCodec.Decode(bytes);
        return new ParticipantRuntime(keys, state, transport, ledger, store, bundles);
    }

    /// <summary>Propose the next round with the given outcome, starting at the latest ledger close time.</summary>
    public async Task<ProtocolError?> ProposeAsync(RoundOutcome outcome, CancellationToken ct)
    {
        var now = (await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).CloseTime;
        return await ProposeAtAsync(outcome, closing: false, now, ct).ConfigureAwait(false);
    }

    /// <summary>Propose the cooperative close: the latest outcome, executable at once.</summary>
    public async Task<ProtocolError?> ProposeCloseAsync(CancellationToken ct)
    {
        var latest = State.Latest ?? throw new InvalidOperationException("no completed round to close on");
        var now = (await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).CloseTime;
        return await ProposeAtAsync(latest.Outcome, closing: true, now, ct).ConfigureAwait(false);
    }

    /// <summary>Propose at an explicit ledger time (callers that already read the ledger, benchmarks).</summary>
    public async Task<ProtocolError?> ProposeAtAsync(RoundOutcome outcome, bool closing, DateTimeOffset ledgerTime, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var transition = ChannelProtocol.Propose(State, _keys, outcome, closing, ledgerTime);
            await ApplyAsync(transition, ct).ConfigureAwait(false);
            return transition.Error;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Handle every frame already waiting; returns how many were handled.</summary>
    public async Task<int> DrainInboxAsync(DateTimeOffset ledgerTime, CancellationToken ct)
    {
        var handled = 0;
        while (_transport.TryReceive(out var frame))
        {
            await HandleFrameAsync(frame!, ledgerTime, ct).ConfigureAwait(false);
            handled++;
        }

        return handled;
    }

    /// <summary>Wait for the next frame and handle it.</summary>
    public async Task ReceiveOneAsync(DateTimeOffset ledgerTime, CancellationToken ct)
    {
        var frame = await _transport.ReceiveAsync(ct).ConfigureAwait(false);
        await HandleFrameAsync(frame, ledgerTime, ct).ConfigureAwait(false);
    }

    /// <summary>After a restart: ask every peer to repeat what it sent for our current round.</summary>
    public async Task ResyncAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await ApplyAsync(ChannelProtocol.RequestResend(State, _keys), ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Bring the funding onto the ledger and confirm it (R has N signers and threshold N). Safe to
    /// call any number of times, from any participant and after any restart: the ledger is read
    /// first, so an R funded by anyone is recognised and never submitted to again, and the one
    /// funding transaction (fixed source and sequence) can land at most once whoever submits it.
    /// Returns <see cref="FundingStatus.AwaitingSignatures"/> while signatures are missing (resync
    /// and pump first) and <see cref="FundingStatus.Expired"/> once it can never land.
    /// </summary>
    public async Task<FundingStatus> FundAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            switch (State.Phase)
            {
                case ChannelPhase.Open or ChannelPhase.Closing or ChannelPhase.Closed:
                    return FundingStatus.Funded;
                case ChannelPhase.Abandoned:
                    return FundingStatus.Expired;
            }

            var status = await ObserveFundingAsync(ct).ConfigureAwait(false);
            if (status == FundingStatus.Submittable)
            {
                // Whatever the answer (landed, tx_bad_seq because a peer's copy landed first, too
                // late), the ledger read below is what counts.
                await SubmitPreSignedAsync(State.Funding!, ct).ConfigureAwait(false);
                status = await ObserveFundingAsync(ct).ConfigureAwait(false);
            }

            if (status == FundingStatus.Funded)
            {
                await SetStateAsync(ChannelProtocol.FundingConfirmed(State), ct).ConfigureAwait(false);
            }

            return status;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Give up opening (see <see cref="ChannelProtocol.AbandonOpening"/>): allowed once no funding
    /// signature of ours can still move our deposit, i.e. we never gave one or the opening
    /// deadline has passed on the ledger. The state is kept (phase Abandoned) for the record.
    /// </summary>
    public async Task<ProtocolError?> AbandonOpeningAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var status = State.Phase == ChannelPhase.Opening ? await ObserveFundingAsync(ct).ConfigureAwait(false) : FundingStatus.Funded;
            var transition = ChannelProtocol.AbandonOpening(State, status);
            await ApplyAsync(transition, ct).ConfigureAwait(false);
            return transition.Error;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Force close: put our latest ratchet on the ledger now; <see cref="CheckLedgerAsync"/> finishes.</summary>
    public async Task<SubmitOutcome> ForceCloseAsync(CancellationToken ct)
    {
        var latest = State.Latest ?? throw new InvalidOperationException("no completed round");
        return await SubmitPreSignedAsync(latest.Ratchet, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One pass of the spec's monitor and timeout rules at the latest ledger: read R's sequence,
    /// decide with <see cref="MonitorRule.Decide"/>, and submit what the decision calls for. On a
    /// timeout we first try to refresh the round (a new round, same outcome); if that has not
    /// completed by the next pass, we publish v_max.
    /// </summary>
    public async Task<MonitorStep?> CheckLedgerAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (State.MonitorInput() is not { } input || State.Phase is ChannelPhase.Closed or ChannelPhase.Abandoned)
            {
                return null;
            }

            var header = await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
            var escrow = await _ledger.LoadAccountAsync(State.Parameters.Escrow, ct).ConfigureAwait(false);
            var decision = MonitorRule.Decide(input, escrow?.Sequence, header.CloseTime);
            var submissions = ImmutableArray.CreateBuilder<SubmitOutcome>();
            var latest = State.Latest!;
            switch (decision.Action)
            {
                case MonitorAction.SubmitRatchet when decision.Case == MonitorCase.Timeout && ShouldRefresh(latest):
                    _refreshAttemptedFor = latest.Round;
                    var refresh = ChannelProtocol.Propose(State, _keys, latest.Outcome, closing: false, header.CloseTime);
                    await ApplyAsync(refresh, ct).ConfigureAwait(false);
                    if (refresh.Accepted)
                    {
                        break;
                    }

                    submissions.Add(await SubmitPreSignedAsync(latest.Ratchet, ct).ConfigureAwait(false));
                    break;
                case MonitorAction.SubmitRatchet:
                    submissions.Add(await SubmitPreSignedAsync(latest.Ratchet, ct).ConfigureAwait(false));
                    break;
                case MonitorAction.SubmitLatestSnapshots:
                    await SubmitSnapshotsAsync(latest.Snapshots, decision.FirstSnapshot, submissions, ct).ConfigureAwait(false);
                    break;
                case MonitorAction.SubmitPendingSnapshots:
                    await SubmitSnapshotsAsync(State.Pending!.SignedSnapshots(), decision.FirstSnapshot, submissions, ct).ConfigureAwait(false);
                    break;
                case MonitorAction.StopWatching:
                    await SetStateAsync(ChannelProtocol.Closed(State), ct).ConfigureAwait(false);
                    break;
            }

            return new MonitorStep(decision, escrow?.Sequence, header.CloseTime, submissions.ToImmutable());
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A refresh is worth one try per round, and only while rounds can still be made.</summary>
    private bool ShouldRefresh(CompletedRound latest) =>
        State.Phase == ChannelPhase.Open && _refreshAttemptedFor != latest.Round && State.Pending is null;

    private async Task SubmitSnapshotsAsync(ImmutableArray<TransactionEnvelope> snapshots, int first, ImmutableArray<SubmitOutcome>.Builder submissions, CancellationToken ct)
    {
        for (var i = first; i < snapshots.Length; i++)
        {
            var outcome = await SubmitPreSignedAsync(snapshots[i], ct).ConfigureAwait(false);
            submissions.Add(outcome);
            if (!outcome.Success)
            {
                // The next pass re-reads R and resumes from wherever the ledger is.
                return;
            }
        }
    }

    /// <summary>
    /// Submit one of the channel's pre-signed transactions so that it gets into a ledger despite
    /// surge pricing: bid what fee stats say the network takes (the shared <see cref="FeePolicy"/>),
    /// wrapped in a fee bump from our wallet when that is above the transaction's own fee; when the
    /// answer says the bid was not enough (txINSUFFICIENT_FEE, a replace-by-fee bid below 10×, or
    /// not in a ledger before the client gave up) raise it, up to the cap. Returns the last answer.
    /// </summary>
    private async Task<SubmitOutcome> SubmitPreSignedAsync(TransactionEnvelope envelope, CancellationToken ct)
    {
        var bid = FeePolicy.RequiredPerOperation(await _ledger.GetFeeStatsAsync(ct).ConfigureAwait(false), Fees);
        SubmitOutcome outcome;
        var attempt = 0;
        while (true)
        {
            var (toSend, plan) = FeePolicy.Bump(envelope, bid, Fees.MaxFeePerOperation, _keys.Wallet, State.Parameters.Network);
            if (plan is not null)
            {
                FeeBumpsCounter.Add(1);
                FeeBumpStroopsCounter.Add(plan.TotalFee);
            }

            outcome = await _ledger.SubmitAsync(toSend, ct).ConfigureAwait(false);
            if (plan is not null && IsFeeSourceShort(outcome))
            {
                // Our wallet cannot pay the bump: the transaction's own fee is all there is.
                return await _ledger.SubmitAsync(envelope, ct).ConfigureAwait(false);
            }

            if (outcome.Success || !WasOutbid(outcome) || ++attempt == MaxSubmitAttempts || FeePolicy.Escalate(bid, Fees.MaxFeePerOperation) is not { } next)
            {
                return outcome;
            }

            // A txINSUFFICIENT_FEE answer names the fee it needs (e.g. 10× to replace our queued bid): go there at once.
            bid = Math.Min(Fees.MaxFeePerOperation, Math.Max(next, NeededPerOperation(outcome, toSend)));
        }
    }

    /// <summary>Refused for its fee, or never seen in a ledger (the ledger client's timeout): a higher bid may help.</summary>
    private static bool WasOutbid(SubmitOutcome outcome) =>
        FeePolicy.IsInsufficientFee(outcome) || (outcome.Result is null && outcome.Ledger is null);

    private static long NeededPerOperation(SubmitOutcome outcome, TransactionEnvelope sent)
    {
        if (!FeePolicy.IsInsufficientFee(outcome) || outcome.Result is not { FeeCharged: > 0 } result)
        {
            return 0;
        }

        var ops = sent is FeeBumpEnvelope bump ? bump.FeeBump.InnerTransaction.Operations.Length + 1
            : sent is TransactionV1Envelope v1 ? v1.Transaction.Operations.Length
            : 1;
        return (result.FeeCharged + ops - 1) / ops;
    }

    private static bool IsFeeSourceShort(SubmitOutcome outcome) =>
        outcome.Result?.Code == TransactionResultCode.TxInsufficientBalance;

    private async Task<FundingStatus> ObserveFundingAsync(CancellationToken ct)
    {
        // Close time first: if R is read unfunded afterwards, that holds at this time or later.
        var header = await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false);
        var escrow = await _ledger.LoadAccountAsync(State.Parameters.Escrow, ct).ConfigureAwait(false);
        var parameters = State.Parameters;
        var n = (byte)parameters.Count;
        // Thresholds alone could be raised by R's master key without the funding: the signers must be there too.
        var nOfN = escrow is not null && escrow.Thresholds.Low == n && escrow.Thresholds.Medium == n && escrow.Thresholds.High == n &&
                   parameters.Participants.Skip(1).All(p => escrow.Signers.Any(s => s.Weight > 0 && s.Key is Ed25519SignerKey k && k.Key == p.RatchetKey));
        return ChannelProtocol.ObserveFunding(State, new EscrowObservation(escrow?.Sequence, nOfN), header.CloseTime);
    }

    private async Task HandleFrameAsync(InboundFrame frame, DateTimeOffset ledgerTime, CancellationToken ct)
    {
        PeerMessage message;
        try
        {
            message = PeerMessageCodec.Decode(frame.Payload);
        }
        catch (WireFormatException e)
        {
            Reject(new ProtocolError(ProtocolErrorCode.MalformedMessage, e.Message));
            return;
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var transition = ChannelProtocol.Receive(State, _keys, frame.From, message, ledgerTime);
            await ApplyAsync(transition, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Reject(ProtocolError error)
    {
        RejectedCount++;
        if (_errors.Count == KeptErrors)
        {
            _errors.Dequeue();
        }

        _errors.Enqueue(error);
        RejectedCounter.Add(1, new KeyValuePair<string, object?>("code", error.Code.ToString()));
    }

    /// <summary>Persist first, then act: no signature leaves before the state that produced it is durable.</summary>
    private async Task ApplyAsync(Transition transition, CancellationToken ct)
    {
        if (transition.Error is { } error)
        {
            Reject(error);
        }

        if (!ReferenceEquals(transition.State, State))
        {
            await SetStateAsync(transition.State, ct).ConfigureAwait(false);
        }

        foreach (var action in transition.Actions)
        {
            switch (action)
            {
                case Broadcast b:
                    var payload = PeerMessageCodec.Encode(b.Message);
                    for (var k = 0; k < State.Parameters.Count; k++)
                    {
                        if (k != State.Me)
                        {
                            await SendQuietlyAsync(k, payload, ct).ConfigureAwait(false);
                        }
                    }

                    break;
                case SendTo s:
                    await SendQuietlyAsync(s.Participant, PeerMessageCodec.Encode(s.Message), ct).ConfigureAwait(false);
                    break;
                case RoundCompleted c:
                    RoundsCounter.Add(1);
                    await _bundles.PublishAsync(ChannelBundle.From(State.Parameters, State.Me, c.Round), ct).ConfigureAwait(false);
                    if (c.Round.Closing)
                    {
                        await SubmitPreSignedAsync(c.Round.Ratchet, ct).ConfigureAwait(false);
                    }

                    break;
                case FundingReady:
                    // Submission is the caller's move (FundAsync), so opening stays observable step by step.
                    break;
            }
        }
    }

    /// <summary>A peer being unreachable never fails our step: the round just does not complete.</summary>
    private async Task SendQuietlyAsync(int to, byte[] payload, CancellationToken ct)
    {
        try
        {
            await _transport.SendAsync(to, payload, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            SendFailures++;
        }
    }

    private async Task SetStateAsync(ChannelState state, CancellationToken ct)
    {
        await _store.SaveAsync(StateCodec.Encode(_keys, state), ct).ConfigureAwait(false);
        State = state;
    }
}
