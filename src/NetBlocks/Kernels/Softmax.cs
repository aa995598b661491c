namespace NetBlocks.Kernels;

/// <summary>Row-wise log-softmax over x (rows, cols): y = x − max − log Σ exp(x − max), numerically stable.</summary>
public static class Softmax
{
    /// <summary>Every label in [0, classes), or an error naming the first one that is not (cross-entropy's labels).</summary>
    public static void CheckLabels(ReadOnlySpan<int> labels, int classes)
    {
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"cross_entropy: label {labels[i]} at index {i} is out of range: the logits have {classes} classes, labels must be in [0, {classes - 1}]");
    }

    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols); var yr = y.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            for (int j = 0; j < cols; j++) if (xr[j] > max) max = xr[j];
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.Exp(xr[j] - max);
            float lse = max + (float)Math.Log(sum);
            for (int j = 0; j < cols; j++) yr[j] = xr[j] - lse;
        }
    }

    /// <summary>dx = dy − softmax · Σ dy, with softmax = exp(y) recovered from the log-softmax output y.</summary>
    public static void LogSoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * cols, cols); var dyr = dy.Slice(r * cols, cols); var dxr = dx.Slice(r * cols, cols);
            double s = 0;
            for (int j = 0; j < cols; j++) s += dyr[j];
            for (int j = 0; j < cols; j++) dxr[j] = dyr[j] - MathF.Exp(yr[j]) * (float)s;
        }
    }
}
