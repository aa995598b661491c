using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// Elementwise kernels, a thread per element, the arithmetic of the engine's <c>Elementwise</c>: relu and its gradient
/// from the output (0 at 0, as PyTorch), relu(a + b) (a residual sum and its ReLU in one pass), z = x + y, y = a·x + b (scale), y += x (gradient accumulation), y += a·x,
/// z = x·y, sigmoid 1/(1 + e^−x) and its gradient from the output, fill and copy. Outputs may be inputs (in place).
/// </summary>
public sealed class CudaElementwise
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> _relu;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _addRelu;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _reluBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> _sigmoid;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _sigmoidBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _add;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _multiply;
    private readonly Action<Index1D, ArrayView<float>, float, float, ArrayView<float>> _affine;
    private readonly Action<Index1D, ArrayView<float>, float, ArrayView<float>> _addScaled;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> _accumulate;
    private readonly Action<Index1D, ArrayView<float>, float> _fill;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> _copy;

    internal CudaElementwise(CudaContext context)
    {
        var a = context.Accelerator;
        _relu = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ReluKernel);
        _addRelu = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(AddReluKernel);
        _reluBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ReluBackwardKernel);
        _sigmoid = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(SigmoidKernel);
        _sigmoidBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(SigmoidBackwardKernel);
        _add = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(AddKernel);
        _multiply = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(MultiplyKernel);
        _affine = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, float, ArrayView<float>>(AffineKernel);
        _addScaled = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, ArrayView<float>>(AddScaledKernel);
        _accumulate = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(AccumulateKernel);
        _fill = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(FillKernel);
        _copy = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(CopyKernel);
    }

    /// <summary>y = max(x, 0)</summary>
    public void Relu(ArrayView<float> x, ArrayView<float> y) => Launch(_relu, "relu", x, y);

    /// <summary>y = max(a + b, 0); y may be a or b.</summary>
    public void AddRelu(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) => Launch(_addRelu, "add relu", a, b, y);

    /// <summary>dx = y &gt; 0 ? dy : 0, from relu's output y.</summary>
    public void ReluBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx) => Launch(_reluBackward, "relu backward", y, dy, dx);

    /// <summary>y = 1 / (1 + e^−x)</summary>
    public void Sigmoid(ArrayView<float> x, ArrayView<float> y) => Launch(_sigmoid, "sigmoid", x, y);

    /// <summary>dx = dy · y · (1 − y), from sigmoid's output y.</summary>
    public void SigmoidBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx) => Launch(_sigmoidBackward, "sigmoid backward", y, dy, dx);

    /// <summary>z = x + y</summary>
    public void Add(ArrayView<float> x, ArrayView<float> y, ArrayView<float> z) => Launch(_add, "add", x, y, z);

    /// <summary>z = x · y</summary>
    public void Multiply(ArrayView<float> x, ArrayView<float> y, ArrayView<float> z) => Launch(_multiply, "multiply", x, y, z);

    /// <summary>y = a·x + b (a scale with b = 0).</summary>
    public void Affine(ArrayView<float> x, float a, float b, ArrayView<float> y)
    {
        int n = Length("affine", x, y);
        if (n > 0) _affine(n, x, a, b, y);
    }

    /// <summary>y += a·x</summary>
    public void AddScaled(ArrayView<float> y, float a, ArrayView<float> x)
    {
        int n = Length("add scaled", y, x);
        if (n > 0) _addScaled(n, y, a, x);
    }

    /// <summary>y += x (a gradient accumulating into a leaf's).</summary>
    public void Accumulate(ArrayView<float> y, ArrayView<float> x) => Launch(_accumulate, "accumulate", y, x);

    /// <summary>y[i] = value</summary>
    public void Fill(ArrayView<float> y, float value)
    {
        int n = Length("fill", y);
        if (n > 0) _fill(n, y, value);
    }

    /// <summary>y = x</summary>
    public void Copy(ArrayView<float> x, ArrayView<float> y) => Launch(_copy, "copy", x, y);

    private static void Launch(Action<Index1D, ArrayView<float>, ArrayView<float>> kernel, string op, ArrayView<float> a, ArrayView<float> b)
    {
        int n = Length(op, a, b);
        if (n > 0) kernel(n, a, b);
    }

    private static void Launch(Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> kernel, string op,
        ArrayView<float> a, ArrayView<float> b, ArrayView<float> c)
    {
        int n = Length(op, a, b, c);
        if (n > 0) kernel(n, a, b, c);
    }

    /// <summary>The common length of the views (they must agree), which must fit one launch.</summary>
    private static int Length(string op, params ReadOnlySpan<ArrayView<float>> views)
    {
        long n = views[0].Length;
        foreach (var view in views)
            if (view.Length != n) throw new ArgumentException($"cuda {op}: views of {view.Length} and {n} elements");
        if (n > int.MaxValue) throw new ArgumentException($"cuda {op}: {n} elements exceed a kernel launch");
        return (int)n;
    }

    private static void ReluKernel(Index1D i, ArrayView<float> x, ArrayView<float> y) { float v = x[i]; y[i] = v <= 0f ? 0f : v; }
    private static void AddReluKernel(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) { float v = a[i] + b[i]; y[i] = v <= 0f ? 0f : v; }
    private static void ReluBackwardKernel(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx) => dx[i] = y[i] > 0 ? dy[i] : 0f;
    private static void SigmoidKernel(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = 1f / (1f + MathF.Exp(-x[i]));
    private static void SigmoidBackwardKernel(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx) => dx[i] = dy[i] * y[i] * (1f - y[i]);
    private static void AddKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> z) => z[i] = x[i] + y[i];
    private static void MultiplyKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> z) => z[i] = x[i] * y[i];
    private static void AffineKernel(Index1D i, ArrayView<float> x, float a, float b, ArrayView<float> y) => y[i] = a * x[i] + b;
    private static void AddScaledKernel(Index1D i, ArrayView<float> y, float a, ArrayView<float> x) => y[i] += a * x[i];
    private static void AccumulateKernel(Index1D i, ArrayView<float> y, ArrayView<float> x) => y[i] += x[i];
    private static void FillKernel(Index1D i, ArrayView<float> y, float value) => y[i] = value;
    private static void CopyKernel(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = x[i];
}
