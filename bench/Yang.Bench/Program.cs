using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Yang.Bench -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Mgmt.Yang.Bench.CorpusBenchmarks).Assembly).Run(args);
