using BenchmarkDotNet.Attributes;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Stellar;

namespace Watchtower.Benchmarks.Channels;

/// <summary>
/// Off-chain round throughput of one channel between two in-process participants that each run
/// their own receive loop (as two wallets would), so a participant verifies and signs while the
/// other does too. Each operation is one payment round, proposed by alternating sides and final
/// for both (bundle published) before the next is proposed; wall-clock time.
/// </summary>
[MemoryDiagnoser]
public class ChannelRoundConcurrentBenchmarks
{
    private const int RoundsPerInvoke = 500;
    private static readonly DateTimeOffset Now = BenchChannel.Now;

    private ParticipantRuntime[] _runtimes = [];
    private readonly CompletionSink[] _sinks = [new(), new()];
    private CancellationTokenSource _stop = new();
    private Task[] _loops = [];
    private long _round;

    [GlobalSetup]
    public void Setup()
    {
        (var runtimes, var parameters) = BenchChannel.Runtimes(_sinks);
        _runtimes = runtimes;
        _loops = [.. _runtimes.Select(r => Task.Run(() => ServeAsync(r, _stop.Token)))];
        Run(RoundOutcome.Refunds(parameters), 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        Task.WaitAll(_loops);
        _stop.Dispose();
    }

    [Benchmark(OperationsPerInvoke = RoundsPerInvoke, Description = "completed round, 2 participants, one receive loop each")]
    public long CompletedRounds()
    {
        for (var k = 0; k < RoundsPerInvoke; k++)
        {
            var payer = (int)(_round % 2);
            Run(LocalChannelGroup.Payment(_runtimes[payer].State, payer, 1 - payer, new Stroops(1)), payer);
            _round++;
        }

        return _runtimes[0].State.Latest!.Round;
    }

    private static async Task ServeAsync(ParticipantRuntime runtime, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await runtime.ReceiveOneAsync(Now, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Run(RoundOutcome outcome, int proposer)
    {
        var target = _runtimes[proposer].State.NextRound;
        var error = _runtimes[proposer].ProposeAtAsync(outcome, closing: false, Now, CancellationToken.None).GetAwaiter().GetResult();
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
