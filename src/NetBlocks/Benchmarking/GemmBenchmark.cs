using System.Diagnostics;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Benchmarking;

/// <summary>The timing of C = A·B for square n×n matrices (median over repetitions).</summary>
public sealed record GemmBenchResult(int Size, int Threads, int Repetitions, double[] Seconds)
{
    public double MedianSeconds => BenchResult.Median(Seconds);
    public double Gflops => 2.0 * Size * Size * (double)Size / MedianSeconds / 1e9;
}

/// <summary>`netblocks bench gemm`: the packed SGEMM on n×n×n with a given thread count, as torch.mm is timed.</summary>
public static unsafe class GemmBenchmark
{
    public static GemmBenchResult Run(int size, int threads, int repetitions = 10, int warmup = 2)
    {
        if (size < 1) throw new ArgumentException($"--size must be at least 1, got {size}");
        if (threads < 1) threads = Environment.ProcessorCount;
        if (repetitions < 1) throw new ArgumentException($"--steps must be at least 1, got {repetitions}");
        var rng = new RandomGenerator(0);
        var a = new float[size * size];
        var b = new float[size * size];
        var c = new float[size * size];
        for (int i = 0; i < a.Length; i++) { a[i] = rng.NextFloat() - 0.5f; b[i] = rng.NextFloat() - 0.5f; }
        var times = new double[repetitions];
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int i = 0; i < warmup + repetitions; i++)
            {
                long start = Stopwatch.GetTimestamp();
                Gemm.Sgemm(GemmPath.Auto, threads, false, false, size, size, size, 1f, pa, size, pb, size, 0f, pc, size);
                if (i >= warmup) times[i - warmup] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
        }
        return new GemmBenchResult(size, threads, repetitions, times);
    }
}
