using System.Diagnostics;
using NetBlocks.Functional;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Tensors;

namespace NetBlocks.Benchmarking;

/// <summary>The shapes <see cref="DeviceVerification"/> runs its checks at.</summary>
/// <param name="GemmM">rows of A and C in the matrix product (A is M × K, B is K × N).</param>
/// <param name="ConvBatch">images of the convolution, batch-norm and pooling checks (ConvChannels × ConvHeight × ConvWidth each).</param>
/// <param name="ConvOutChannels">output channels of the grouped convolution (two groups, so even, as ConvChannels).</param>
/// <param name="Rows">rows of the softmax/cross-entropy check, each over Classes logits.</param>
/// <param name="RegNetBatch">images of the RegNetX32 training step at 28 × 28.</param>
public sealed record VerificationShapes(int GemmM, int GemmK, int GemmN, int ConvBatch, int ConvChannels, int ConvHeight, int ConvWidth,
    int ConvOutChannels, int Rows, int Classes, int RegNetBatch)
{
    /// <summary>
    /// For a real GPU with the default tiling (64 × 64 GEMM blocks 16 deep, 256-thread reductions): every dimension leaves
    /// a remainder — the product is 130 × 70 × 67, the grouped convolution's implicit GEMM has 3·17·15 = 765 columns and a
    /// depth of 36, a batch-norm channel 765 values.
    /// </summary>
    public static VerificationShapes Gpu { get; } = new(130, 70, 67, 3, 8, 33, 29, 12, 70, 13, 2);

    /// <summary>
    /// For ILGPU's CPU accelerator with the tests' small groups (12 × 8 GEMM blocks 3 deep, 4-thread reductions), where
    /// every GPU thread is a host thread: the same remainders on shapes a hundred times smaller.
    /// </summary>
    public static VerificationShapes Small { get; } = new(13, 7, 10, 2, 4, 9, 7, 6, 5, 7, 2);
}

/// <summary>One check of <see cref="DeviceVerification"/>: the largest error against the CPU over everything it compares.</summary>
/// <param name="MaxError">max |device − cpu| / max(1, |cpu|) over every compared value (NaN when the check failed to run).</param>
/// <param name="Error">why the check could not run (an op missing, a kernel that failed to compile or launch), else null.</param>
public sealed record DeviceCheck(string Name, int Values, double MaxError, double Tolerance, double Seconds, string? Error = null)
{
    public bool Passed => Error is null && MaxError <= Tolerance;

    public override string ToString() => Error is not null
        ? $"FAIL  {Name}: {Error}"
        : $"{(Passed ? "PASS" : "FAIL")}  {Name}: max error {MaxError:0.###E+0} over {Values:N0} values (tolerance {Tolerance:0.#E+0}, {Seconds:0.00} s)";
}

/// <summary>
/// Checks a device against the CPU backend through the engine's seam, as the CI does for the CUDA kernels on ILGPU's CPU
/// accelerator: the same graphs with the same values on the CPU and on the device, forward and gradients, compared
/// within 1e-4 (relative above 1). The checks: the matrix product (both operands' gradients: the transposed products), a
/// grouped strided padded convolution with bias and a depthwise one (forward, input, weight and bias gradients), batch
/// norm in training with the fused ReLU (output, running statistics, gradients) and in eval mode, max, average and adaptive
/// average pooling with their gradients, log-softmax and cross-entropy with the logits' gradient and argmax, and one whole
/// RegNetX32 training step at 28 × 28 (SGD with momentum and weight decay: loss, every gradient, every updated parameter
/// and running statistic, from the same initial weights, compared too). `netblocks devices --verify` runs them on
/// every CUDA device. A check that throws is a failure with its message; the others still run.
/// </summary>
public static class DeviceVerification
{
    public const double Tolerance = 1e-4;

    /// <summary>Runs every check on <paramref name="device"/> (whose backend must be registered) against the CPU.</summary>
    public static IReadOnlyList<DeviceCheck> Run(Device device, VerificationShapes? shapes = null, Action<DeviceCheck>? onCheck = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.IsCpu || device.IsMeta) throw new ArgumentException($"verify compares a device against the cpu: give another device than {device}");
        var results = new List<DeviceCheck>();
        foreach (var (name, graph) in Checks(shapes ?? VerificationShapes.Gpu))
        {
            var check = Compare(name, graph, device);
            onCheck?.Invoke(check);
            results.Add(check);
        }
        return results;
    }

    private static DeviceCheck Compare(string name, Func<Device, Dictionary<string, float[]>> graph, Device device)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var expected = graph(Device.Cpu);
            var actual = graph(device);
            double max = 0;
            int values = 0;
            foreach (var (key, e) in expected)
            {
                if (!actual.TryGetValue(key, out var a)) return new(name, values, double.NaN, Tolerance, clock.Elapsed.TotalSeconds, $"{key}: missing on {device}");
                if (a.Length != e.Length)
                    return new(name, values, double.NaN, Tolerance, clock.Elapsed.TotalSeconds, $"{key}: {a.Length} values on {device}, {e.Length} on the cpu");
                max = Math.Max(max, MaxError(a, e));
                values += e.Length;
            }
            return new(name, values, max, Tolerance, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new(name, 0, double.NaN, Tolerance, clock.Elapsed.TotalSeconds, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// The largest |actual − expected| / max(1, |expected|) over equal-length values: a NaN where the CPU has one counts
    /// as 0, any other non-finite error as +∞.
    /// </summary>
    public static double MaxError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i])) error = 0;
            else if (!double.IsFinite(error)) error = double.PositiveInfinity;
            if (error > max) max = error;
        }
        return max;
    }

    private static IEnumerable<(string Name, Func<Device, Dictionary<string, float[]>> Graph)> Checks(VerificationShapes s)
    {
        yield return ($"gemm {s.GemmM}×{s.GemmK}×{s.GemmN} and both gradients", d => Gemm(d, s));
        yield return ($"conv2d {s.ConvChannels}→{s.ConvOutChannels} 3×3 stride 2 pad 1 groups 2 on {s.ConvBatch}×{s.ConvHeight}×{s.ConvWidth}, input/weight/bias gradients",
            d => Convolution(d, s, depthwise: false));
        yield return ($"conv2d depthwise {s.ConvChannels} 3×3 stride 1 pad 1, input/weight gradients", d => Convolution(d, s, depthwise: true));
        yield return ("batch norm: training with fused ReLU (running statistics, gradients) and eval", d => BatchNorm(d, s));
        yield return ("pooling: max 3/2 pad 1, average 2/1 pad 1, adaptive average, gradients", d => Pooling(d, s));
        yield return ($"log-softmax + cross-entropy {s.Rows}×{s.Classes}, logits gradient, argmax", d => SoftmaxCrossEntropy(d, s));
        yield return ($"regnetx32 training step at 28×28, batch {s.RegNetBatch} (SGD momentum 0.9, weight decay 5e-4)", d => RegNetStep(d, s));
    }

    // ------------------------------------------------------------------ the graphs, each the same on either device

    private static float[] Values(int length, int seed, float scale = 1f, float offset = 0f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = offset + (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    private static Tensor Leaf(Device device, float[] values, params int[] shape)
    {
        var t = Tensor.FromArray(values, shape).To(device);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>A scalar whose gradient with respect to <paramref name="y"/> is a fixed random tensor (every element a different weight).</summary>
    private static Tensor Weighted(Tensor y, int seed) => F.Sum(F.Mul(y, Tensor.FromArray(Values(y.Numel, seed), y.Shape.ToArray()).To(y.Device)));

    private static Dictionary<string, float[]> Gemm(Device d, VerificationShapes s)
    {
        var a = Leaf(d, Values(s.GemmM * s.GemmK, 1), s.GemmM, s.GemmK);
        var b = Leaf(d, Values(s.GemmK * s.GemmN, 2), s.GemmK, s.GemmN);
        var c = F.MatMul(a, b);
        var result = new Dictionary<string, float[]> { ["c"] = c.ToArray() };
        Weighted(c, 3).Backward();
        result["grad a"] = a.Grad!.ToArray();
        result["grad b"] = b.Grad!.ToArray();
        return result;
    }

    private static Dictionary<string, float[]> Convolution(Device d, VerificationShapes s, bool depthwise)
    {
        int n = s.ConvBatch, c = s.ConvChannels, h = s.ConvHeight, w = s.ConvWidth;
        int oc = depthwise ? c : s.ConvOutChannels, groups = depthwise ? c : 2, stride = depthwise ? 1 : 2;
        var x = Leaf(d, Values(n * c * h * w, 11), n, c, h, w);
        var weight = Leaf(d, Values(oc * (c / groups) * 9, 12, 0.5f), oc, c / groups, 3, 3);
        var bias = depthwise ? null : Leaf(d, Values(oc, 13, 0.1f), oc);
        var y = F.Conv2d(x, weight, bias, stride, padding: 1, groups: groups);
        var result = new Dictionary<string, float[]> { ["y"] = y.ToArray() };
        Weighted(y, 14).Backward();
        result["grad x"] = x.Grad!.ToArray();
        result["grad weight"] = weight.Grad!.ToArray();
        if (bias is not null) result["grad bias"] = bias.Grad!.ToArray();
        return result;
    }

    private static Dictionary<string, float[]> BatchNorm(Device d, VerificationShapes s)
    {
        int n = s.ConvBatch, c = s.ConvOutChannels, h = (s.ConvHeight + 1) / 2, w = (s.ConvWidth + 1) / 2;
        var x = Leaf(d, Values(n * c * h * w, 21, 2f, 0.5f), n, c, h, w);
        var gamma = Leaf(d, Values(c, 22, 0.2f, 1f), c);
        var beta = Leaf(d, Values(c, 23, 0.1f), c);
        var mean = Tensor.FromArray(Values(c, 24, 0.1f), c).To(d);
        var variance = Tensor.FromArray(Values(c, 25, 0.2f, 1f), c).To(d);
        var y = F.BatchNorm2d(x, mean, variance, gamma, beta, training: true, relu: true);
        var result = new Dictionary<string, float[]> { ["y"] = y.ToArray() };
        Weighted(y, 26).Backward();
        result["grad x"] = x.Grad!.ToArray();
        result["grad gamma"] = gamma.Grad!.ToArray();
        result["grad beta"] = beta.Grad!.ToArray();
        result["running mean"] = mean.ToArray();
        result["running var"] = variance.ToArray();
        using (Autograd.GradMode.NoGrad())
            result["eval y"] = F.BatchNorm2d(x, mean, variance, gamma, beta, training: false, relu: false).ToArray();
        return result;
    }

    private static Dictionary<string, float[]> Pooling(Device d, VerificationShapes s)
    {
        int n = s.ConvBatch, c = s.ConvChannels, h = s.ConvHeight, w = s.ConvWidth;
        var x = Leaf(d, Values(n * c * h * w, 31), n, c, h, w);
        var max = F.MaxPool2d(x, 3, 2, 1);
        var average = F.AvgPool2d(x, 2, 1, 1);
        var adaptive = F.AdaptiveAvgPool2d(x, 3, 2);
        var result = new Dictionary<string, float[]> { ["max"] = max.ToArray(), ["average"] = average.ToArray(), ["adaptive"] = adaptive.ToArray() };
        F.Add(F.Add(Weighted(max, 32), Weighted(average, 33)), Weighted(adaptive, 34)).Backward();
        result["grad x"] = x.Grad!.ToArray();
        return result;
    }

    private static Dictionary<string, float[]> SoftmaxCrossEntropy(Device d, VerificationShapes s)
    {
        var logits = Leaf(d, Values(s.Rows * s.Classes, 41, 3f), s.Rows, s.Classes);
        var labels = Enumerable.Range(0, s.Rows).Select(i => (i * 7 + 3) % s.Classes).ToArray();
        var logp = F.LogSoftmax(logits);
        var loss = F.CrossEntropy(logits, labels);
        var result = new Dictionary<string, float[]>
        {
            ["log softmax"] = logp.ToArray(),
            ["argmax"] = F.ArgMax(logits).ToInt32Array().Select(i => (float)i).ToArray(),
            ["loss"] = [loss.Item()],
        };
        F.Add(loss, Weighted(logp, 42)).Backward();
        result["grad logits"] = logits.Grad!.ToArray();
        return result;
    }

    private static Dictionary<string, float[]> RegNetStep(Device d, VerificationShapes s)
    {
        int[] input = [s.RegNetBatch, 1, 28, 28];
        RandomGenerator.ManualSeed(2024);
        Module model;
        using (ParameterDevice.Use(d)) model = ModelZoo.CreateBuilt("regnetx32", input);
        var result = new Dictionary<string, float[]>();
        foreach (var (key, value) in model.StateDict()) result["initial " + key] = value.ToArray();
        var images = Tensor.FromArray(Values(input[0] * 28 * 28, 77), input).To(d);
        var labels = Enumerable.Range(0, s.RegNetBatch).Select(i => (i * 5 + 3) % 10).ToArray();
        var optimizer = new Sgd(model.Parameters(), lr: 0.05f, momentum: 0.9f, weightDecay: 5e-4f);
        var loss = F.CrossEntropy(model.Forward(images), labels);
        result["loss"] = [loss.Item()];
        loss.Backward();
        foreach (var (key, p) in model.NamedParameters()) result["grad " + key] = p.Grad!.ToArray();
        optimizer.Step();
        foreach (var (key, value) in model.StateDict()) result["updated " + key] = value.ToArray();
        return result;
    }
}
