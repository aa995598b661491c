using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// Row-wise log-softmax over (rows, cols) and mean cross-entropy against int labels, on the device, the
/// arithmetic of the engine's <c>Softmax</c> and <c>F.CrossEntropy</c>: y = x − max − log Σ exp(x − max) with the sum
/// in double, a thread per row; the loss −(1/N) Σ log p[i, label i] summed in row order by one thread (N is a batch,
/// so this is short) into a one-element view, so a training step reads one float back at most; the gradient
/// dx = dL/N · (exp(log p) − onehot(label)). A label outside [0, cols) makes the loss, and that row's gradient, NaN
/// (the device cannot throw; <c>F.CrossEntropy</c> checks labels on the host).
/// </summary>
public sealed class CudaSoftmax
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> _logSoftmax;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _logSoftmaxBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int> _loss;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int> _lossBackward;

    internal CudaSoftmax(CudaContext context)
    {
        var a = context.Accelerator;
        _logSoftmax = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(LogSoftmaxKernel);
        _logSoftmaxBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(LogSoftmaxBackwardKernel);
        _loss = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(LossKernel);
        _lossBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int>(LossBackwardKernel);
    }

    /// <summary>y = log softmax(x) row by row.</summary>
    public void LogSoftmax(ArrayView<float> x, ArrayView<float> y, int rows, int cols)
    {
        Check("cuda log_softmax", rows, cols, ("x", x.Length), ("y", y.Length));
        if (rows > 0) _logSoftmax(rows, x, y, cols);
    }

    /// <summary>dx = dy − exp(y) · Σ dy per row, y being log-softmax's output.</summary>
    public void LogSoftmaxBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int rows, int cols)
    {
        Check("cuda log_softmax backward", rows, cols, ("y", y.Length), ("dy", dy.Length), ("dx", dx.Length));
        if (rows > 0) _logSoftmaxBackward(rows, y, dy, dx, cols);
    }

    /// <summary>
    /// logp = log softmax(logits) and loss[0] = −(1/N) Σᵢ logp[i, labels[i]] (mean cross-entropy). logp is what
    /// <see cref="CrossEntropyBackward"/> needs.
    /// </summary>
    public void CrossEntropy(ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> logp, ArrayView<float> loss, int n, int k)
    {
        const string op = "cuda cross_entropy";
        if (n == 0) throw new ArgumentException($"{op}: empty batch");
        Check(op, n, k, ("logits", logits.Length), ("logp", logp.Length));
        if (labels.Length != n) throw new ArgumentException($"{op}: {labels.Length} labels for a batch of {n} logits");
        if (loss.Length < 1) throw new ArgumentException($"{op}: the loss view is empty");
        _logSoftmax(n, logits, logp, k);
        _loss(1, logp, labels, loss, n, k);
    }

    /// <summary>dx = dL/N · (exp(logp) − onehot(labels)), dL = <paramref name="lossGradient"/>[0] (1 for a loss being minimised).</summary>
    public void CrossEntropyBackward(ArrayView<float> logp, ArrayView<int> labels, ArrayView<float> lossGradient, ArrayView<float> dx, int n, int k)
    {
        const string op = "cuda cross_entropy backward";
        if (n == 0) throw new ArgumentException($"{op}: empty batch");
        Check(op, n, k, ("logp", logp.Length), ("dx", dx.Length));
        if (labels.Length != n) throw new ArgumentException($"{op}: {labels.Length} labels for a batch of {n} logits");
        if (lossGradient.Length < 1) throw new ArgumentException($"{op}: the loss gradient view is empty");
        _lossBackward((int)((long)n * k), logp, labels, lossGradient, dx, k);
    }

    private static void Check(string op, int rows, int cols, params ReadOnlySpan<(string Name, long Length)> views)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"{op}: negative size ({rows} × {cols})");
        long count = (long)rows * cols;
        if (count > int.MaxValue) throw new ArgumentException($"{op}: {count} elements exceed a kernel launch");
        foreach (var (name, length) in views)
            if (length != count) throw new ArgumentException($"{op}: {name} has {length} elements for {rows} × {cols}");
    }

    private static void LogSoftmaxKernel(Index1D row, ArrayView<float> x, ArrayView<float> y, int cols)
    {
        long start = (long)row.X * cols;
        float max = float.NegativeInfinity;
        for (int j = 0; j < cols; j++) if (x[start + j] > max) max = x[start + j];
        double sum = 0;
        for (int j = 0; j < cols; j++) sum += Math.Exp(x[start + j] - max);
        float lse = max + (float)Math.Log(sum);
        for (int j = 0; j < cols; j++) y[start + j] = x[start + j] - lse;
    }

    private static void LogSoftmaxBackwardKernel(Index1D row, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int cols)
    {
        long start = (long)row.X * cols;
        double s = 0;
        for (int j = 0; j < cols; j++) s += dy[start + j];
        for (int j = 0; j < cols; j++) dx[start + j] = dy[start + j] - MathF.Exp(y[start + j]) * (float)s;
    }

    private static void LossKernel(Index1D index, ArrayView<float> logp, ArrayView<int> labels, ArrayView<float> loss, int n, int k)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            sum -= label >= 0 && label < k ? logp[(long)i * k + label] : double.NaN;
        }
        loss[0] = (float)(sum / n);
    }

    private static void LossBackwardKernel(Index1D index, ArrayView<float> logp, ArrayView<int> labels, ArrayView<float> lossGradient,
        ArrayView<float> dx, int k)
    {
        int row = index / k, column = index - row * k;
        int n = (int)labels.Length;
        float scale = lossGradient[0] / n;
        int label = labels[row];
        float d = MathF.Exp(logp[index]) * scale;
        if (column == label) d -= scale;
        dx[index] = label >= 0 && label < k ? d : float.NaN;
    }
}
