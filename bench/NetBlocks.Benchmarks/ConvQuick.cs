using System.Diagnostics;
using System.Globalization;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench/NetBlocks.Benchmarks -- conv-quick [--net nin96|regnet96|vgg96] [--layer SPEC]...
/// [--batch 128] [--threads 2] [--runs 5]
/// [--block-below P] [--block-columns C] [--direct on|off|auto] [--pointwise on|off|auto] [--direct-dw on|off|auto] [--dw-block-kb KB] [--dw-units U]
/// [--winograd on|off|auto] [--winograd-kb KB] [--ab-winograd ROUNDS]`: forward, backward-to-input and backward-to-weights of single convolution
/// layers, median wall time and GFLOP/s per pass, and the process CPU time per pass (less sensitive than wall time when
/// other work shares the cores). SPEC is `C-OC-K-stride-padding-groups-H`, e.g. `96-256-5-1-2-1-10`.
/// `--direct` forces the direct convolution kernels on (where they apply) or off; auto (the default) is the library's rule.
/// `--pointwise` does the same for the 1×1 kernel of 1×1 stride-1 layers (following `--direct` when not given).
/// `--direct-dw` does the same for the weight gradient alone (overriding `--direct` there); `--dw-block-kb` and
/// `--dw-units` set its sample-block size and work units per thread. `--winograd` forces Winograd F(2×2, 3×3) on (where it
/// applies) or off, `--winograd-kb` sets its work items' U + M budget; `--ab-winograd R` instead times forward and input
/// gradient with Winograd forced on and off, alternating R rounds in this process, and prints the off/on ratio of the
/// per-round medians (A/B on a busy machine: the ratio is what to read, not the absolute times); `--ab-cpu` compares
/// process CPU time instead of wall time (less sensitive to other processes taking the cores).
/// The presets are the convolution layers of the seed's networks at 96×96, as `netblocks bench train --profile` lists them.
/// </summary>
public static class ConvQuick
{
    private static readonly Dictionary<string, string[]> Nets = new()
    {
        ["nin96"] = ["1-96-11-4-0-1-96", "96-96-1-1-0-1-22", "96-256-5-1-2-1-10", "256-256-1-1-0-1-10", "256-384-3-1-1-1-4", "384-384-1-1-0-1-4"],
        ["regnet96"] = ["1-32-3-2-1-1-96", "32-32-1-1-0-1-48", "32-32-3-2-1-2-48", "32-32-3-1-1-2-24", "32-32-1-1-0-1-24", "32-80-1-1-0-1-24",
            "80-80-3-2-1-5-24", "80-80-3-1-1-5-12", "80-80-1-1-0-1-12"],
        ["vgg96"] = ["1-16-3-1-1-1-96", "16-32-3-1-1-1-48", "32-64-3-1-1-1-24", "64-64-3-1-1-1-24", "64-128-3-1-1-1-12", "128-128-3-1-1-1-12",
            "128-128-3-1-1-1-6"],
    };

    public static void Run(string[] args)
    {
        int batch = 128, threads = 2, runs = 5, abRounds = 0;
        bool abCpu = false;
        var policy = KernelPolicy.Default;
        var specs = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--net": specs.AddRange(Nets[args[++i]]); break;
                case "--layer": specs.Add(args[++i]); break;
                case "--batch": batch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--block-below": policy = policy with { BlockBelow = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--direct": policy = policy with { DirectConvolution = args[++i] switch { "on" => true, "off" => false, "auto" => null,
                    var v => throw new ArgumentException($"conv-quick: --direct on|off|auto, not '{v}'") } }; break;
                case "--pointwise": policy = policy with { PointwiseConvolution = args[++i] switch { "on" => true, "off" => false, "auto" => null,
                    var v => throw new ArgumentException($"conv-quick: --pointwise on|off|auto, not '{v}'") } }; break;
                case "--direct-dw": policy = policy with { DirectWeightGradient = args[++i] switch { "on" => true, "off" => false, "auto" => null,
                    var v => throw new ArgumentException($"conv-quick: --direct-dw on|off|auto, not '{v}'") } }; break;
                case "--dw-block-kb": policy = policy with { WeightGradientBlockBytes = 1024 * int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--dw-units": policy = policy with { WeightGradientUnitsPerThread = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--winograd": policy = policy with { Winograd = args[++i] switch { "on" => true, "off" => false, "auto" => null,
                    var v => throw new ArgumentException($"conv-quick: --winograd on|off|auto, not '{v}'") } }; break;
                case "--winograd-kb": policy = policy with { WinogradBlockBytes = 1024 * int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--ab-winograd": abRounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--ab-cpu": abCpu = true; break;
                case "--block-columns": policy = policy with { BlockColumns = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"conv-quick: unknown option '{args[i]}'");
            }
        }
        if (specs.Count == 0) specs.AddRange(Nets["nin96"]);
        if (abRounds > 0)
        {
            AbWinograd(specs, batch, threads, runs, abRounds, policy, abCpu);
            return;
        }
        using var context = new ExecutionContext(threads, policy);
        using var inForce = context.Enter();
        Console.WriteLine($"conv-quick: batch {batch}, {threads} thread(s), median of {runs}; ms per pass (GFLOP/s), cpu = process CPU ms");
        Console.WriteLine($"{"layer",-28} {"forward",18} {"backward dx",18} {"backward dw",18} {"cpu f/dx/dw",18}");
        double total = 0;
        foreach (var spec in specs)
        {
            var g = Layer(spec, batch);
            var (x, w, b) = Operands(g);
            float[] y = new float[(long)g.N * g.OC * g.OutPlane], dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OC];
            double gflop = 2.0 * g.N * g.OC * g.PatchSize * g.OutPlane / 1e9;
            var (fw, fc) = Time(runs, () => Convolution.Forward(x, 0, w, 0, b, 0, y, 0, g));
            var (dxw, dxc) = Time(runs, () => Convolution.BackwardData(y, 0, w, 0, dx, 0, g));
            var (dww, dwc) = Time(runs, () => Convolution.BackwardWeight(y, 0, x, 0, dw, 0, db, 0, g));
            total += fw + dxw + dww;
            string Cell(double ms) => $"{ms,7:F2} ({gflop / ms * 1e3,6:F1})";
            string name = Name(g);
            Console.WriteLine($"{name,-28} {Cell(fw),18} {Cell(dxw),18} {Cell(dww),18} {$"{fc:F1}/{dxc:F1}/{dwc:F1}",18}");
        }
        Console.WriteLine($"sum of medians: {total:F1} ms");
    }

    /// <summary>
    /// Forward and input gradient of each layer with Winograd forced on and off (the rest of the policy as given),
    /// alternating: each round times on then off (median of <paramref name="runs"/> each); prints every round's ms and
    /// the median over rounds of off/on (above 1: Winograd faster).
    /// </summary>
    private static void AbWinograd(List<string> specs, int batch, int threads, int runs, int rounds, KernelPolicy policy, bool cpu)
    {
        using var on = new ExecutionContext(threads, policy with { Winograd = true });
        using var off = new ExecutionContext(threads, policy with { Winograd = false });
        Console.WriteLine($"conv-quick --ab-winograd: batch {batch}, {threads} thread(s), {rounds} rounds of (on, off), median of {runs} per pass, {(cpu ? "process CPU" : "wall")} ms");
        Console.WriteLine($"{"layer",-28} {"fwd on/off ms per round",-44} {"fwd off/on",10} {"dx on/off ms per round",-44} {"dx off/on",10}");
        foreach (var spec in specs)
        {
            var g = Layer(spec, batch);
            var (x, w, b) = Operands(g);
            float[] y = new float[(long)g.N * g.OC * g.OutPlane], dx = new float[x.Length];
            var fwd = new List<(double On, double Off)>();
            var bwd = new List<(double On, double Off)>();
            for (int r = 0; r < rounds; r++)
            {
                (double, double) Pass(ExecutionContext context)
                {
                    using var inForce = context.Enter();
                    var f = Time(runs, () => Convolution.Forward(x, 0, w, 0, b, 0, y, 0, g));
                    var d = Time(runs, () => Convolution.BackwardData(y, 0, w, 0, dx, 0, g));
                    return cpu ? (f.Cpu, d.Cpu) : (f.Wall, d.Wall);
                }
                var (fOn, dOn) = Pass(on);
                var (fOff, dOff) = Pass(off);
                fwd.Add((fOn, fOff));
                bwd.Add((dOn, dOff));
            }
            static double MedianRatio(List<(double On, double Off)> t)
            {
                var r = t.Select(v => v.Off / v.On).Order().ToArray();
                return r.Length % 2 == 1 ? r[r.Length / 2] : (r[r.Length / 2 - 1] + r[r.Length / 2]) / 2;
            }
            static string Rounds(List<(double On, double Off)> t) => string.Join(" ", t.Select(v => $"{v.On:F1}/{v.Off:F1}"));
            string name = Name(g);
            Console.WriteLine($"{name,-28} {Rounds(fwd),-44} {MedianRatio(fwd),10:F2} {Rounds(bwd),-44} {MedianRatio(bwd),10:F2}");
        }
    }

    /// <summary>A layer spec C-OC-K-stride-padding-groups-H (a square input plane) at batch <paramref name="batch"/>.</summary>
    private static ConvGeometry Layer(string spec, int batch)
    {
        var p = spec.Split('-').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new ConvGeometry(batch, p[0], p[6], p[6], p[1], p[2], p[2], p[3], p[4], p[5]);
    }

    /// <summary>Input, weights and bias of layer g, uniform in [−0.5, 0.5) from seed 1 (the same for every run).</summary>
    private static (float[] X, float[] W, float[] B) Operands(ConvGeometry g)
    {
        var rng = new RandomGenerator(1);
        float[] Rand(long n) { var a = new float[n]; for (long i = 0; i < n; i++) a[i] = rng.NextFloat() - 0.5f; return a; }
        return (Rand((long)g.N * g.C * g.H * g.W), Rand((long)g.OC * g.PatchSize), Rand(g.OC));
    }

    private static string Name(ConvGeometry g) => $"{g.C}→{g.OC} {g.KH}×{g.KW}/{g.Stride} g{g.Groups} @{g.H}";

    /// <summary>Median wall ms and median process-CPU ms of <paramref name="runs"/> calls after one warm-up call.</summary>
    private static (double Wall, double Cpu) Time(int runs, Action body)
    {
        body();
        var wall = new double[runs];
        var cpu = new double[runs];
        var proc = Process.GetCurrentProcess();
        for (int r = 0; r < runs; r++)
        {
            proc.Refresh();
            var c0 = proc.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            body();
            wall[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            proc.Refresh();
            cpu[r] = (proc.TotalProcessorTime - c0).TotalMilliseconds;
        }
        Array.Sort(wall);
        Array.Sort(cpu);
        return (wall[runs / 2], cpu[runs / 2]);
    }
}
