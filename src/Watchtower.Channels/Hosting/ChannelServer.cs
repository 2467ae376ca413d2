using System.Globalization;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Protocol;
using Watchtower.Ledger;
using Watchtower.Stellar;

namespace Watchtower.Channels.Hosting;

/// <summary>
/// Serves one participant of a channel until it closes: frames from peers are handled at the
/// latest ledger time as they arrive, the monitor (and funding, while opening) runs every poll,
/// and commands are read line by line: <c>pay LUMENS [INDEX]</c>, <c>status</c>, <c>close</c>,
/// <c>force-close</c>, <c>quit</c>. Everything that happens is printed as one event per line.
/// The runtime persists every state before acting, so stopping at any point (quit, a signal, a
/// crash) leaves a state that <c>channel run</c> resumes.
/// </summary>
public sealed class ChannelServer
{
    private readonly ParticipantRuntime _runtime;
    private readonly TcpPeerTransport _transport;
    private readonly ILedgerClient _ledger;
    private readonly EventOutput _out;
    private readonly TimeSpan _poll;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _kick = new(0);
    private readonly SemaphoreSlim _report = new(1, 1);
    private readonly TaskCompletionSource<int> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChannelPhase _phase;
    private long _round;
    private long _rejected;
    private int _sendFailures;
    private (MonitorCase, MonitorAction)? _lastDecision;
    private readonly Lock _stallGate = new();
    private (long Round, int Polls) _stalled = (-1, 0);

    /// <summary>Polls a round may stay pending before we ask the peers to resend.</summary>
    private const int StallPolls = 5;

    public ChannelServer(ParticipantRuntime runtime, TcpPeerTransport transport, ILedgerClient ledger, EventOutput output, TimeSpan poll, TimeProvider time)
    {
        _runtime = runtime;
        _transport = transport;
        _ledger = ledger;
        _out = output;
        _poll = poll;
        _time = time;
        _phase = runtime.State.Phase;
        _round = runtime.State.Latest?.Round ?? -1;
        _rejected = runtime.RejectedCount;
        _sendFailures = runtime.SendFailures;
    }

    /// <summary>Serve until the channel is closed on the ledger, <c>quit</c>, or <paramref name="ct"/> (a signal). Returns the exit code.</summary>
    public async Task<int> RunAsync(TextReader input, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        EmitStatus("ready");
        switch (_phase)
        {
            case ChannelPhase.Closed:
                _out.Emit("closed", "the channel is closed");
                return 0;
            case ChannelPhase.Abandoned:
                _out.Emit("abandoned", "the opening was abandoned: the funding never landed");
                return 1;
        }

        var loops = new[] { ReceiveLoopAsync(stop.Token), MonitorLoopAsync(stop.Token) };

        // Console input has no cancellable read: a background reader whose lines feed the loop.
        _ = Task.Run(() => CommandLoopAsync(input, stop.Token), CancellationToken.None);
        int code;
        try
        {
            code = await _done.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _out.Emit("stopped", "stopped; the channel state is saved (resume with `channel run`)");
            code = 0;
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(loops).ConfigureAwait(false);
        return code;
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        try
        {
            while (await _transport.WaitToReceiveAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    var now = (await _ledger.GetLatestLedgerAsync(ct).ConfigureAwait(false)).CloseTime;
                    await _runtime.DrainInboxAsync(now, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Frames stay queued; the ledger may come back.
                    _out.Emit("error", $"error: {e.Message}", ("message", e.Message));
                    await Task.Delay(_poll, _time, ct).ConfigureAwait(false);
                }

                await ReportAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }

    private async Task MonitorLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await MonitorOnceAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _out.Emit("error", $"error: {e.Message}", ("message", e.Message));
                }

                await ReportAsync(ct).ConfigureAwait(false);
                using var tick = new CancellationTokenSource(_poll, _time);
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct, tick.Token);
                try
                {
                    await _kick.WaitAsync(wake.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // the poll interval passed
                }
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }

    private async Task MonitorOnceAsync(CancellationToken ct)
    {
        var state = _runtime.State;
        await ResyncIfStalledAsync(state, ct).ConfigureAwait(false);
        if (state.Phase == ChannelPhase.Opening)
        {
            if (await _runtime.FundAsync(ct).ConfigureAwait(false) == FundingStatus.Expired &&
                await _runtime.AbandonOpeningAsync(ct).ConfigureAwait(false) is { } error)
            {
                _out.Emit("error", $"the funding can no longer land, but the opening cannot be abandoned: {error}", ("code", error.Code.ToString()), ("message", error.Message));
            }

            return;
        }

        if (await _runtime.CheckLedgerAsync(ct).ConfigureAwait(false) is not { } step)
        {
            return;
        }

        var decision = (step.Decision.Case, step.Decision.Action);
        if (decision != _lastDecision || !step.Submissions.IsEmpty)
        {
            _lastDecision = decision;
            var wait = step.Decision.NotBefore is { } t ? $" until {t:O}" : "";
            var failed = step.Submissions.Where(s => !s.Success).Select(s => s.ResultCodesText).ToList();
            _out.Emit(
                "monitor",
                $"monitor: R at {step.EscrowSequence?.Value.ToString(CultureInfo.InvariantCulture) ?? "-"}: {step.Decision.Case} → {step.Decision.Action}{wait}" +
                (step.Submissions.IsEmpty ? "" : $" ({step.Submissions.Length} submitted{(failed.Count > 0 ? ", failed: " + string.Join("; ", failed) : "")})"),
                ("case", step.Decision.Case.ToString()),
                ("action", step.Decision.Action.ToString()),
                ("escrowSequence", step.EscrowSequence?.Value),
                ("notBefore", step.Decision.NotBefore?.ToString("O", CultureInfo.InvariantCulture)),
                ("submitted", step.Submissions.Length),
                ("failed", failed.Count));
        }
    }

    /// <summary>
    /// A frame lost on the way (a peer unreachable for a moment) would stall a round for good:
    /// after <see cref="StallPolls"/> polls on the same pending round, ask the peers to resend and
    /// repeat what we sent (duplicates are ignored by everyone).
    /// </summary>
    private async Task ResyncIfStalledAsync(ChannelState state, CancellationToken ct)
    {
        if (state.Pending is not { } pending)
        {
            lock (_stallGate)
            {
                _stalled = (-1, 0);
            }

            return;
        }

        int polls;
        lock (_stallGate)
        {
            _stalled = _stalled.Round == pending.Round ? (pending.Round, _stalled.Polls + 1) : (pending.Round, 1);
            polls = _stalled.Polls;
        }

        if (polls % StallPolls == 0)
        {
            await _runtime.ResyncAsync(ct).ConfigureAwait(false);
            if (polls == StallPolls)
            {
                _out.Emit("resync", $"round {pending.Round} is still waiting for signatures: asking the peers to resend (every {StallPolls} polls)", ("round", pending.Round));
            }
        }
    }

    private async Task CommandLoopAsync(TextReader input, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var line = await input.ReadLineAsync(ct).ConfigureAwait(false);
                if (line is null)
                {
                    // No more commands (input closed): keep serving the channel until it closes or a signal stops us.
                    return;
                }

                await ExecuteAsync(line.Trim(), ct).ConfigureAwait(false);
                await ReportAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }

    private async Task ExecuteAsync(string line, CancellationToken ct)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return;
        }

        try
        {
            switch (words[0].ToLowerInvariant())
            {
                case "pay" when words.Length is 2 or 3:
                    await PayAsync(words, ct).ConfigureAwait(false);
                    break;
                case "close" when words.Length == 1:
                    Proposed(await _runtime.ProposeCloseAsync(ct).ConfigureAwait(false), "close");
                    break;
                case "force-close" when words.Length == 1:
                    var outcome = await _runtime.ForceCloseAsync(ct).ConfigureAwait(false);
                    _out.Emit(
                        "force-close",
                        $"ratchet {outcome.Hash}: {(outcome.Success ? "applied; the monitor submits the snapshots once their minTime passes" : outcome.ResultCodesText)}",
                        ("hash", outcome.Hash.ToString()),
                        ("success", outcome.Success));
                    _kick.Release();
                    break;
                case "status" when words.Length == 1:
                    EmitStatus("status");
                    break;
                case "quit" or "exit" when words.Length == 1:
                    _out.Emit("quit", "quitting; the channel state is saved (resume with `channel run`)");
                    _done.TrySetResult(0);
                    break;
                case "help":
                    _out.Emit("help", "commands: pay LUMENS [INDEX] | status | close | force-close | quit");
                    break;
                default:
                    _out.Emit("error", $"unknown command '{line}' (try help)", ("message", "unknown command"));
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A command that fails (bad input, ledger unreachable) is reported; the channel keeps being served.
            _out.Emit("error", $"error: {e.Message}", ("message", e.Message));
        }
    }

    private async Task PayAsync(string[] words, CancellationToken ct)
    {
        var state = _runtime.State;
        var amount = Stroops.Parse(words[1]);
        int to;
        if (words.Length == 3)
        {
            to = int.Parse(words[2], NumberStyles.None, CultureInfo.InvariantCulture);
        }
        else if (state.Parameters.Count == 2)
        {
            to = 1 - state.Me;
        }
        else
        {
            throw new ArgumentException("name the payee's participant index: pay LUMENS INDEX");
        }

        if (to == state.Me || to < 0 || to >= state.Parameters.Count)
        {
            throw new ArgumentException($"participant {to} cannot be paid by participant {state.Me}");
        }

        if (state.Phase != ChannelPhase.Open)
        {
            throw new InvalidOperationException($"the channel is {state.Phase}, not open");
        }

        var mine = LocalChannelGroup.NativeBalances(state)[state.Me];
        if (amount.Value <= 0 || amount.Value > mine)
        {
            throw new ArgumentException($"you can pay between 0.0000001 and {new Stroops(mine).ToAmountString()} lumens");
        }

        var what = $"pay {amount.ToAmountString()} to {to}";
        Proposed(await _runtime.ProposeAsync(LocalChannelGroup.Payment(state, state.Me, to, amount), ct).ConfigureAwait(false), what);
    }

    private void Proposed(ProtocolError? error, string what)
    {
        if (error is not null)
        {
            _out.Emit("refused", $"{what} refused: {error}", ("code", error.Code.ToString()), ("message", error.Message));
            return;
        }

        var round = _runtime.State.Pending?.Round ?? _runtime.State.Latest?.Round;
        _out.Emit("proposed", $"{what}: round {round} proposed, waiting for signatures", ("round", round), ("what", what));
    }

    /// <summary>Print what changed since the last report: phase, completed rounds, refused messages, unreachable peers.</summary>
    private async Task ReportAsync(CancellationToken ct)
    {
        await _report.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var state = _runtime.State;
            var errors = _runtime.Errors;
            var newErrors = (int)Math.Min(_runtime.RejectedCount - _rejected, errors.Count);
            foreach (var e in errors.Skip(errors.Count - newErrors))
            {
                _out.Emit("rejected", $"refused a peer message: {e}", ("code", e.Code.ToString()), ("message", e.Message));
            }

            _rejected = _runtime.RejectedCount;
            if (_runtime.SendFailures > _sendFailures)
            {
                _out.Emit("unreachable", $"{_runtime.SendFailures - _sendFailures} message(s) could not be delivered (peer down?); a restarted peer asks for them again", ("count", _runtime.SendFailures - _sendFailures));
                _sendFailures = _runtime.SendFailures;
            }

            if (state.Latest is { } latest && latest.Round != _round)
            {
                _round = latest.Round;
                var balances = LocalChannelGroup.NativeBalances(state);
                _out.Emit(
                    "round",
                    $"round {latest.Round}{(latest.Closing ? " (close)" : "")} complete: balances {string.Join(" / ", balances.Select(b => new Stroops(b).ToAmountString()))}",
                    ("round", latest.Round),
                    ("closing", latest.Closing),
                    ("balances", balances.ToArray()));
            }

            if (state.Phase != _phase)
            {
                _phase = state.Phase;
                switch (_phase)
                {
                    case ChannelPhase.Open:
                        _out.Emit("open", $"funded: channel {state.Channel} is open", ("channel", state.Channel.ToString()));
                        break;
                    case ChannelPhase.Closing:
                        _out.Emit("closing", "the close round is signed; submitting the ratchet and snapshots");
                        _kick.Release();
                        break;
                    case ChannelPhase.Closed:
                        _out.Emit("closed", "the channel is closed: the ledger paid everyone out", ("channel", state.Channel.ToString()));
                        _done.TrySetResult(0);
                        break;
                    case ChannelPhase.Abandoned:
                        _out.Emit("abandoned", $"the opening deadline {state.Parameters.OpeningDeadline:O} passed without funding: the opening is abandoned, deposits never left the wallets", ("channel", state.Channel.ToString()));
                        _done.TrySetResult(1);
                        break;
                }
            }
        }
        finally
        {
            _report.Release();
        }
    }

    private void EmitStatus(string kind)
    {
        var s = _runtime.State;
        var balances = s.Latest is null ? [] : LocalChannelGroup.NativeBalances(s).ToArray();
        var text = $"channel {s.Channel}: participant {s.Me} of {s.Parameters.Count}, {s.Phase}, round {s.Latest?.Round.ToString(CultureInfo.InvariantCulture) ?? "-"}" +
            (s.Pending is { } p ? $" (round {p.Round} pending)" : "") +
            (balances.Length == 0 ? "" : $", balances {string.Join(" / ", balances.Select(b => new Stroops(b).ToAmountString()))}") +
            $", listening on {_transport.LocalEndpoint}";
        _out.Emit(
            kind,
            text,
            ("channel", s.Channel.ToString()),
            ("me", s.Me),
            ("participants", s.Parameters.Count),
            ("phase", s.Phase.ToString()),
            ("round", s.Latest?.Round),
            ("pending", s.Pending?.Round),
            ("balances", balances),
            ("listen", _transport.LocalEndpoint.ToString()));
    }
}
