using BenchmarkDotNet.Attributes;

namespace Watchtower.Benchmarks.Channels;

/// <summary>
/// Off-chain round throughput of one channel between two in-process participants that each run
/// their own receive loop (<see cref="ChannelPair"/>); wall-clock time per completed round.
/// `-- channel-rounds` runs the same pair outside BenchmarkDotNet and reports percentiles.
/// </summary>
[MemoryDiagnoser]
public class ChannelRoundConcurrentBenchmarks
{
    private const int RoundsPerInvoke = 500;
    private ChannelPair _pair = null!;

    [GlobalSetup]
    public void Setup() => _pair = new ChannelPair();

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    [Benchmark(OperationsPerInvoke = RoundsPerInvoke, Description = "completed round, 2 participants, one receive loop each")]
    public long CompletedRounds()
    {
        for (var k = 0; k < RoundsPerInvoke; k++)
        {
            _pair.Pay();
        }

        return _pair.Completed;
    }
}
