using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Watchtower.Benchmarks -- --filter '*Stellar*'
BenchmarkSwitcher.FromAssembly(typeof(Watchtower.Benchmarks.Stellar.ChannelTransactions).Assembly).Run(args);
