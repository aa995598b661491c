using System.Diagnostics;
using NetBlocks.Backends;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Benchmarking;

/// <summary>
/// The timing of C = A·B for square n×n matrices (median over repetitions), on the CPU or a device; on a device also
/// the largest error of its product against the CPU's SGEMM on the same inputs, relative to max(1, |c|).
/// </summary>
public sealed record GemmBenchResult(int Size, int Threads, int Repetitions, double[] Seconds, string Device = "cpu", double? MaxError = null)
{
    public double MedianSeconds => BenchResult.Median(Seconds);
    public double Gflops => 2.0 * Size * Size * (double)Size / MedianSeconds / 1e9;
}

/// <summary>
/// `netblocks bench gemm`: the packed SGEMM on n×n×n with a given thread count, as torch.mm is timed; with a device,
/// the device's GEMM (on CUDA the tiled SGEMM), each repetition waiting for the device.
/// </summary>
public static class GemmBenchmark
{
    /// <summary>The largest n whose n×n matrix one array holds.</summary>
    public static int MaxSize => (int)Math.Sqrt(Sizes.MaxElements);

    /// <summary>
    /// Checks the options before anything is allocated: --size from 1 to <see cref="MaxSize"/> (an n×n matrix must fit
    /// one array), --steps at least 1, --threads not negative (0: one per core).
    /// </summary>
    public static void Validate(int size, int threads, int repetitions)
    {
        if (size < 1) throw new ArgumentException($"--size must be at least 1, got {size}");
        long elements = Sizes.Multiply(size, size, $"--size {size}");
        if (elements > Sizes.MaxElements)
            throw new ArgumentException(
                $"--size {size} is too large: a {size}×{size} matrix has {Sizes.Count(elements)} elements, more than an array holds " +
                $"({Sizes.Count(Sizes.MaxElements)}); the largest --size is {MaxSize}");
        if (repetitions < 1) throw new ArgumentException($"--steps must be at least 1, got {repetitions}");
        if (threads < 0) throw new ArgumentException($"--threads must not be negative (0: one per core), got {threads}");
    }

    public static GemmBenchResult Run(int size, int threads, int repetitions = 10, int warmup = 2, Device? device = null)
    {
        Validate(size, threads, repetitions);
        if (threads == 0) threads = Environment.ProcessorCount;
        var rng = new RandomGenerator(0);
        var a = new float[size * size];
        var b = new float[size * size];
        var c = new float[size * size];
        for (int i = 0; i < a.Length; i++) { a[i] = rng.NextFloat() - 0.5f; b[i] = rng.NextFloat() - 0.5f; }
        var times = new double[repetitions];
        using var context = new ExecutionContext(threads); // the run's own threads
        using var inForce = context.Enter();
        if (device is { IsCpu: false } onDevice) return RunOnDevice(onDevice, size, threads, repetitions, warmup, a, b, c, times);
        for (int i = 0; i < warmup + repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Gemm.Sgemm(threads, false, false, size, size, size, 1f, a, size, b, size, 0f, c, size);
            if (i >= warmup) times[i - warmup] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        return new GemmBenchResult(size, threads, repetitions, times);
    }

    /// <summary>A and B uploaded once; each repetition queues C = A·B and waits for the device; the last C is checked against the CPU.</summary>
    private static GemmBenchResult RunOnDevice(Device device, int size, int threads, int repetitions, int warmup, float[] a, float[] b, float[] c, double[] times)
    {
        var backend = Backend.DeviceBackend(device);
        var ta = Tensor.FromArray(a, size, size).To(device);
        var tb = Tensor.FromArray(b, size, size).To(device);
        float[] product = [];
        for (int i = 0; i < warmup + repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            var tc = F.MatMul(ta, tb);
            backend.Synchronize();
            if (i >= warmup) times[i - warmup] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (i == warmup + repetitions - 1) product = tc.ToArray();
            tc.Release();
        }
        ta.Release();
        tb.Release();
        Gemm.Sgemm(threads, false, false, size, size, size, 1f, a, size, b, size, 0f, c, size);
        return new GemmBenchResult(size, threads, repetitions, times, device.ToString(), DeviceVerification.MaxError(product, c));
    }
}
