using System.Diagnostics;
using NetBlocks.Analysis;
using NetBlocks.Autograd;
using NetBlocks.Backends;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Tensors;

namespace NetBlocks.Benchmarking;

/// <summary>What to time: a model on random (N, C, R, R) images.</summary>
/// <param name="Steps">timed steps after the warm-up; the result is their median.</param>
/// <param name="Warmup">untimed steps first (JIT tiering, pool fill).</param>
/// <param name="Profile">also time every op kind (forward and backward apart) and the step's phases.</param>
/// <param name="Fold">inference only: run under an <see cref="InferencePlan"/> (batch norm folded into the convolutions, weights packed once, ReLUs in the convolutions' stores), as
/// `netblocks eval` and `predict` do; false (--no-fold) runs the model as declared.</param>
/// <param name="Device">where the model and the images live (default: the CPU); another device's backend must be
/// registered, and each step ends by waiting for the device, so a step's time is the device's.</param>
public sealed record BenchSettings(string Model, int Resize, int Batch = 128, int Steps = 10, int Warmup = 3, int Threads = 0,
    bool Profile = false, int InputChannels = 1, int Classes = 10, float LearningRate = 0.01f, ulong Seed = 0, bool Fold = true, Device? Device = null)
{
    /// <summary>The thread count used: <see cref="Threads"/>, or the core count when 0.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    internal void Validate()
    {
        if (Resize < 1) throw new ArgumentException($"--resize must be at least 1, got {Resize}");
        if (Batch < 1) throw new ArgumentException($"--batch must be at least 1, got {Batch}");
        if (Steps < 1) throw new ArgumentException($"--steps must be at least 1, got {Steps}");
        if (Warmup < 0) throw new ArgumentException($"--warmup must not be negative, got {Warmup}");
        if (Threads < 0) throw new ArgumentException($"--threads must not be negative, got {Threads}");
    }
}

/// <summary>One op kind's share of a step (from the context's <see cref="OpProfile"/>).</summary>
public sealed record OpTime(string Op, double SecondsPerStep, double CallsPerStep);

/// <summary>
/// The measurements of one benchmark run. Throughput is the median over the timed steps; GC figures are averages over
/// them (steady state); peak memory is the process's peak working set (VmHWM) at the end. What the inference plan did
/// (all null: training, or inference with --no-fold): <see cref="PreparedConvolutions"/>, the convolutions it runs from
/// prepared weights; <see cref="PackedConvolutions"/>, those of them whose weights it packed once for the kernel (none on
/// a device); <see cref="FoldedConvolutions"/>, those folded with their batch norm; <see cref="FusedRelus"/>, the ReLUs
/// it runs in their convolution's store.
/// </summary>
public sealed record BenchResult(
    string Mode, string Model, int Resize, int Batch, int Threads, int Steps,
    double[] StepSeconds, long MacsPerImage, long PeakBytes, long PoolAllocatedBytes, long PoolRetainedBytes,
    double GcBytesPerStep, double GcBytesPerStepCallingThread, int Gen0Collections, int Gen2Collections,
    IReadOnlyList<OpTime> Profile, int? FoldedConvolutions = null, int? PreparedConvolutions = null, int? PackedConvolutions = null,
    int? FusedRelus = null)
{
    public double MedianStepSeconds => Median(StepSeconds);
    public double MinStepSeconds => StepSeconds.Min();
    public double ImagesPerSecond => Batch / MedianStepSeconds;

    /// <summary>
    /// Effective GFLOP/s: 2·MACs per image per pass, × 3 for training (forward, backward data, backward weights:
    /// the usual rule of thumb), × images/s.
    /// </summary>
    public double Gflops => (Mode == "train" ? 3 : 1) * 2.0 * MacsPerImage * ImagesPerSecond / 1e9;

    internal static double Median(double[] values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}

/// <summary>
/// Times full SGD training steps (forward, cross-entropy, backward, update) or eval-mode forward passes under
/// <see cref="GradMode.NoGrad"/> on random data (under the model's <see cref="InferencePlan"/> unless
/// <see cref="BenchSettings.Fold"/> is off), as `netblocks bench train|infer` prints them.
/// </summary>
public static class ModelBenchmark
{
    /// <summary>Times <paramref name="s"/>.Steps training steps after the warm-up.</summary>
    public static BenchResult Train(BenchSettings s) => Run(s, training: true);

    /// <summary>Times eval-mode forward passes (no graph) after the warm-up.</summary>
    public static BenchResult Infer(BenchSettings s) => Run(s, training: false);

    private static BenchResult Run(BenchSettings s, bool training)
    {
        s.Validate();
        // the run's own context: its thread count, a fresh pool (whose growth the result reports) and its own profile
        using var context = new ExecutionContext(s.EffectiveThreads, device: s.Device);
        using (context.Enter())
            return Measure(s, training, context);
    }

    private static BenchResult Measure(BenchSettings s, bool training, ExecutionContext context)
    {
        int[] shape = [s.Batch, s.InputChannels, s.Resize, s.Resize];
        var rng = new RandomGenerator(s.Seed);
        RandomGenerator.ManualSeed(s.Seed);
        var device = context.Device;
        Module model;
        using (ParameterDevice.Use(device))
            model = ModelZoo.CreateBuilt(s.Model, shape, new ModelOptions(s.InputChannels, s.Classes));
        long macs = ModelAnalyzer.Analyze(model, [1, s.InputChannels, s.Resize, s.Resize], s.Model).Macs;
        var images = Tensor.Normal(shape, generator: rng).To(device);
        // a device queues its kernels: the step waits for them, so that its time is the device's
        Action waitForDevice = device.IsCpu ? static () => { } : Backend.DeviceBackend(device).Synchronize;
        var labels = new int[s.Batch];
        for (int i = 0; i < labels.Length; i++) labels[i] = rng.NextInt(s.Classes);
        var sgd = new Sgd(model.Parameters(), s.LearningRate);
        model.Train(training);
        // the inference plan is made once, before the warm-up, as InferenceModel makes it once at load
        var plan = !training && s.Fold ? InferencePlan.Create(model, shape) : null;

        var phases = new double[4]; // zero-grad + forward, loss, backward, update (on a device: until queued; the update waits)
        void Step(bool timed)
        {
            if (!training)
            {
                using (plan?.Enter())
                using (GradMode.NoGrad())
                {
                    var logits = model.Forward(images);
                    logits.Release();
                }
                waitForDevice();
                return;
            }
            long t0 = Stopwatch.GetTimestamp();
            sgd.ZeroGrad();
            var output = model.Forward(images);
            long t1 = Stopwatch.GetTimestamp();
            var loss = F.CrossEntropy(output, labels);
            long t2 = Stopwatch.GetTimestamp();
            loss.Backward();
            long t3 = Stopwatch.GetTimestamp();
            sgd.Step();
            waitForDevice();
            long t4 = Stopwatch.GetTimestamp();
            loss.Release();
            if (!timed) return;
            phases[0] += t1 - t0; phases[1] += t2 - t1; phases[2] += t3 - t2; phases[3] += t4 - t3;
        }

        for (int i = 0; i < s.Warmup; i++) Step(timed: false);

        var times = new double[s.Steps];
        var profiler = context.Profiler;
        profiler.Reset();
        profiler.Enabled = s.Profile;
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        long allBefore = GC.GetTotalAllocatedBytes(precise: true), mineBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            for (int i = 0; i < s.Steps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                Step(timed: true);
                times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
        }
        finally
        {
            profiler.Enabled = false;
        }
        long mineAfter = GC.GetAllocatedBytesForCurrentThread(), allAfter = GC.GetTotalAllocatedBytes(precise: true);
        gen0 = GC.CollectionCount(0) - gen0; gen2 = GC.CollectionCount(2) - gen2;

        var profile = new List<OpTime>();
        if (s.Profile)
        {
            double f = Stopwatch.Frequency * (double)s.Steps;
            if (training)
            {
                profile.Add(new OpTime("[phase] zero-grad+forward", phases[0] / f, 1));
                profile.Add(new OpTime("[phase] loss", phases[1] / f, 1));
                profile.Add(new OpTime("[phase] backward", phases[2] / f, 1));
                profile.Add(new OpTime("[phase] sgd update", phases[3] / f, 1));
            }
            foreach (var (op, seconds, calls) in profiler.Snapshot())
                profile.Add(new OpTime(op, seconds / s.Steps, (double)calls / s.Steps));
            profiler.Reset();
        }

        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return new BenchResult(training ? "train" : "infer", s.Model, s.Resize, s.Batch, s.EffectiveThreads, s.Steps, times, macs,
            self.PeakWorkingSet64, context.Pool.AllocatedBytes, context.Pool.RetainedBytes,
            (allAfter - allBefore) / (double)s.Steps, (mineAfter - mineBefore) / (double)s.Steps, gen0, gen2, profile, plan?.Folds.Count,
            plan?.Convolutions.Count, plan?.PackedConvolutions, plan?.FusedRelus);
    }
}
