using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Watchtower.Benchmarks;
using Watchtower.Benchmarks.Tower.Harness;
using Watchtower.Protocol;

// Throughput and latency over real servers (not BenchmarkDotNet; see BENCHMARKS.md):
//   dotnet run -c Release --project bench/Watchtower.Benchmarks -- tower-ingest --redis H:P --rabbitmq amqp://… [--count N]
//   … -- tower-latency …   … -- tower-stages …   … -- channel-rounds [--rounds N]
switch (args.FirstOrDefault())
{
    case "channel-rounds":
        return Watchtower.Benchmarks.Channels.ChannelRoundsRun.Run(new BenchOptions(args.Skip(1)), Console.Out);
    case "tower-ingest":
        return await IngestBench.RunAsync(new BenchOptions(args.Skip(1)), Console.Out);
    case "tower-latency":
        return await LatencyBench.RunAsync(new BenchOptions(args.Skip(1)), Console.Out);
    case "tower-stages":
        return StagesBench.Run(new BenchOptions(args.Skip(1)), Console.Out);
}

// dotnet run -c Release --project bench/Watchtower.Benchmarks -- --filter '*Stellar*' [--cpu-clock]
// --cpu-clock measures process CPU time instead of wall time (in process: the clock cannot be
// handed to a separate benchmark process), for figures that survive a loaded machine.
IConfig? config = null;
if (args.Contains("--cpu-clock"))
{
    args = [.. args.Where(a => a != "--cpu-clock")];
    config = DefaultConfig.Instance.AddJob(Job.Default
        .WithClock(ProcessCpuClock.Instance)
        .WithToolchain(InProcessEmitToolchain.Instance)
        .AsMutator());
}

BenchmarkSwitcher.FromAssembly(typeof(Watchtower.Benchmarks.Stellar.ChannelTransactions).Assembly).Run(args, config);
return 0;
