using BenchmarkDotNet.Running;

// Quick modes that need no BenchmarkDotNet (for fast iteration): `-- gemm-quick [options]`, `-- conv-quick [options]`.
if (args.Length > 0 && args[0] == "gemm-quick")
{
    NetBlocks.Benchmarks.GemmQuick.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "conv-quick")
{
    NetBlocks.Benchmarks.ConvQuick.Run(args[1..]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
