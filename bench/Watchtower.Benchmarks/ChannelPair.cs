using Watchtower.Channels.Runtime;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Benchmarks.Channels;

/// <summary>
/// Two participants of one funded channel, each running its own receive loop (as two wallets
/// would), so one verifies and signs while the other does too. <see cref="Pay"/> runs one payment
/// round, proposed by alternating sides, and returns once it is final for both.
/// </summary>
internal sealed class ChannelPair : IDisposable
{
    private readonly CompletionSink[] _sinks = [new(), new()];
    private readonly ParticipantRuntime[] _runtimes;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;
    private long _round;

    public ChannelPair()
    {
        (_runtimes, var parameters) = BenchChannel.Runtimes(_sinks);
        _loops = [.. _runtimes.Select(r => Task.Run(() => ServeAsync(r, _stop.Token)))];
        Run(RoundOutcome.Refunds(parameters), 0);
    }

    public long Completed => _runtimes[0].State.Latest!.Round;

    /// <summary>One stroop from the payer to the other side; the payer alternates.</summary>
    public void Pay()
    {
        var payer = (int)(_round % 2);
        Run(LocalChannelGroup.Payment(_runtimes[payer].State, payer, 1 - payer, new Stroops(1)), payer);
        _round++;
    }

    public void Dispose()
    {
        _stop.Cancel();
        Task.WaitAll(_loops);
        _stop.Dispose();
    }

    private static async Task ServeAsync(ParticipantRuntime runtime, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await runtime.ReceiveOneAsync(BenchChannel.Now, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Run(RoundOutcome outcome, int proposer)
    {
        var target = _runtimes[proposer].State.NextRound;
        var error = _runtimes[proposer].ProposeAtAsync(outcome, closing: false, BenchChannel.Now, CancellationToken.None).GetAwaiter().GetResult();
        if (error is not null)
        {
            throw new ProtocolException(error);
        }

        _sinks[0].WaitFor(target);
        _sinks[1].WaitFor(target);
    }

    /// <summary>Signals each completed round (the runtime publishes its bundle once the round is final).</summary>
    private sealed class CompletionSink : IBundleSink
    {
        private readonly object _gate = new();
        private long _completed = -1;

        public Task PublishAsync(ChannelBundle bundle, CancellationToken ct)
        {
            lock (_gate)
            {
                _completed = bundle.Round;
                Monitor.PulseAll(_gate);
            }

            return Task.CompletedTask;
        }

        public void WaitFor(long round)
        {
            lock (_gate)
            {
                while (_completed < round)
                {
                    if (!Monitor.Wait(_gate, TimeSpan.FromSeconds(10)))
                    {
                        throw new TimeoutException($"round {round} did not complete");
                    }
                }
            }
        }
    }
}
