using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NetBlocks.Kernels;

namespace NetBlocks.Benchmarks;

/// <summary>SGEMM C = A·B on square N×N matrices; the GFLOP/s column is 2·N³ / mean time.</summary>
[Config(typeof(GemmConfig))]
public unsafe class GemmBenchmarks
{
    [Params(256, 512, 1024)]
    public int N;

    [Params(1, 2)]
    public int Threads;

    private float* _a, _b, _c;
    private ExecutionContext? _context;

    [GlobalSetup]
    public void Setup()
    {
        _context = new ExecutionContext(Threads);
        _a = GemmQuick.AllocRandom((nint)N * N, 1);
        _b = GemmQuick.AllocRandom((nint)N * N, 2);
        _c = GemmQuick.AllocRandom((nint)N * N, 3);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _context?.Dispose();
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
    }

    [Benchmark]
    public void Sgemm()
    {
        using (_context!.Enter())
            Gemm.Sgemm(false, false, N, N, N, 1f, _a, N, _b, N, 0f, _c, N);
    }

    private sealed class GemmConfig : ManualConfig
    {
        public GemmConfig() => AddColumn(new GflopsColumn());
    }

    /// <summary>2·N³ flops divided by the mean time of the case.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "2·N³ / mean time, in 10⁹ floating-point operations per second";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var stats = summary[benchmarkCase]?.ResultStatistics;
            if (stats is null || benchmarkCase.Parameters["N"] is not int n) return "NA";
            return (2.0 * n * n * n / stats.Mean).ToString("F1"); // flops per ns = GFLOP/s
        }
    }
}

/// <summary>
/// `dotnet run -c Release --project bench/NetBlocks.Benchmarks -- gemm-quick [--sizes 256,512,1024] [--threads 1,2]
/// [--path Avx512|Avx2|Vector128|Scalar] [--shape m,n,k[,tA,tB]]... [--runs 7] [--blk KC,MC]`: median GFLOP/s without BenchmarkDotNet.
/// </summary>
public static unsafe class GemmQuick
{
    public static void Run(string[] args)
    {
        int[] sizes = [256, 512, 1024];
        int[] threads = [1, 2];
        int runs = 7;
        var policy = KernelPolicy.Default;
        var shapes = new List<(int M, int N, int K, bool TA, bool TB)>();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--sizes": sizes = Next().Split(',').Select(int.Parse).ToArray(); break;
                case "--threads": threads = Next().Split(',').Select(int.Parse).ToArray(); break;
                case "--runs": runs = int.Parse(Next()); break;
                case "--path": policy = policy with { GemmPath = Enum.Parse<GemmPath>(Next(), ignoreCase: true) }; break;
                case "--blk":
                    var bl = Next().Split(',').Select(int.Parse).ToArray();
                    policy = policy with { GemmBlocking = new Gemm.Blocking(bl[0], bl[1]) };
                    break;
                case "--shape":
                    var v = Next().Split(',');
                    shapes.Add((int.Parse(v[0]), int.Parse(v[1]), int.Parse(v[2]),
                        v.Length > 3 && v[3] is "1" or "t" or "T", v.Length > 4 && v[4] is "1" or "t" or "T"));
                    break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (shapes.Count == 0) shapes.AddRange(sizes.Select(s => (s, s, s, false, false)));

        var path = policy.GemmPath == GemmPath.Auto ? Gemm.BestPath : policy.GemmPath;
        Console.WriteLine($"SGEMM, path {path}, {Environment.ProcessorCount} cores, median (and best) of {runs} runs");
        foreach (int t in threads)
        {
            using var context = new ExecutionContext(t, policy);
            using var inForce = context.Enter();
            foreach (var (m, n, k, ta, tb) in shapes)
            {
                double gflops = Measure(m, n, k, ta, tb, runs, out double ms, out double best);
                Console.WriteLine($"threads {t}  {m}x{n}x{k}{(ta ? " tA" : "")}{(tb ? " tB" : "")}: {gflops,7:F1} GFLOP/s  ({ms:F3} ms)  best {best,7:F1}");
            }
        }
    }

    private static double Measure(int m, int n, int k, bool ta, bool tb, int runs, out double medianMs, out double bestGflops)
    {
        float* a = AllocRandom((nint)m * k, 1), b = AllocRandom((nint)k * n, 2), c = AllocRandom((nint)m * n, 3);
        int lda = ta ? m : k, ldb = tb ? k : n;
        double flops = 2.0 * m * n * k;
        // Warm up (JIT, pool threads, packing buffers), then size each run to about 0.1 s.
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (sw.Elapsed.TotalSeconds < 0.3 || warm < 3)
        {
            Gemm.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
            warm++;
        }
        double perCall = sw.Elapsed.TotalSeconds / warm;
        int reps = Math.Max(1, (int)(0.1 / perCall));
        var times = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < reps; i++)
                Gemm.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
            times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / reps;
        }
        Array.Sort(times);
        double median = times[runs / 2];
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        NativeMemory.AlignedFree(c);
        medianMs = median * 1e3;
        bestGflops = flops / times[0] / 1e9;
        return flops / median / 1e9;
    }

    internal static float* AllocRandom(nint length, int seed)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)length * sizeof(float), 64);
        var rng = new Random(seed);
        for (nint i = 0; i < length; i++) p[i] = (float)(rng.NextDouble() * 2 - 1);
        return p;
    }
}
