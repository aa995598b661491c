namespace NetBlocks.Kernels;

/// <summary>
/// Binary ops with NumPy broadcasting, and the reduction that brings a broadcast gradient back to an input's shape.
/// Shapes are right-aligned; a dimension of 1 repeats. The general path walks the output with per-input strides
/// (stride 0 on broadcast dimensions); equal shapes take the flat fast path.
/// </summary>
public static class Broadcasting
{
    public enum BinaryOp { Add, Subtract, Multiply, Divide }

    /// <summary>z = x ∘ y with z of shape <paramref name="outShape"/> (the broadcast of the two input shapes).</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<float> x, int[] xShape, ReadOnlySpan<float> y, int[] yShape, Span<float> z, int[] outShape)
    {
        if (xShape.AsSpan().SequenceEqual(yShape))
        {
            switch (op)
            {
                case BinaryOp.Add: Elementwise.Add(x, y, z); return;
                case BinaryOp.Multiply: Elementwise.Multiply(x, y, z); return;
            }
            for (int i = 0; i < z.Length; i++) z[i] = Apply(op, x[i], y[i]);
            return;
        }
        var xs = Strides(xShape, outShape);
        var ys = Strides(yShape, outShape);
        int rank = outShape.Length;
        int inner = rank == 0 ? 1 : outShape[rank - 1];
        int xInner = rank == 0 ? 0 : xs[rank - 1], yInner = rank == 0 ? 0 : ys[rank - 1];
        int outer = inner == 0 ? 0 : z.Length / inner;
        var idx = new int[Math.Max(rank - 1, 0)];
        for (int o = 0; o < outer; o++)
        {
            int xo = 0, yo = 0;
            for (int d = 0; d < rank - 1; d++) { xo += idx[d] * xs[d]; yo += idx[d] * ys[d]; }
            int zo = o * inner;
            if (xInner == 1 && yInner == 0)
            {
                float b = y[yo];
                for (int i = 0; i < inner; i++) z[zo + i] = Apply(op, x[xo + i], b);
            }
            else if (xInner == 0 && yInner == 1)
            {
                float a = x[xo];
                for (int i = 0; i < inner; i++) z[zo + i] = Apply(op, a, y[yo + i]);
            }
            else
            {
                for (int i = 0; i < inner; i++) z[zo + i] = Apply(op, x[xo + i * xInner], y[yo + i * yInner]);
            }
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
    }

    /// <summary>Sums <paramref name="grad"/> (shape <paramref name="outShape"/>) over the dimensions broadcast from <paramref name="inShape"/>; result is overwritten into <paramref name="result"/>.</summary>
    public static void ReduceTo(ReadOnlySpan<float> grad, int[] outShape, Span<float> result, int[] inShape)
    {
        if (outShape.AsSpan().SequenceEqual(inShape)) { grad.CopyTo(result); return; }
        var acc = new double[result.Length];
        var st = Strides(inShape, outShape);
        int rank = outShape.Length;
        var idx = new int[rank];
        for (int i = 0; i < grad.Length; i++)
        {
            int off = 0;
            for (int d = 0; d < rank; d++) off += idx[d] * st[d];
            acc[off] += grad[i];
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        for (int i = 0; i < result.Length; i++) result[i] = (float)acc[i];
    }

    private static float Apply(BinaryOp op, float a, float b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Subtract => a - b,
        BinaryOp.Multiply => a * b,
        _ => a / b,
    };

    /// <summary>
    /// Element strides of an input right-aligned against the output shape (NumPy broadcasting), 0 where the input
    /// broadcasts. A device backend walks its broadcasts with the same strides.
    /// </summary>
    public static int[] Strides(ReadOnlySpan<int> inShape, ReadOnlySpan<int> outShape)
    {
        int rank = outShape.Length, lead = rank - inShape.Length;
        var s = new int[rank];
        int stride = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            int size = d - lead >= 0 ? inShape[d - lead] : 1;
            s[d] = size == 1 ? 0 : stride;
            stride *= size;
        }
        return s;
    }
}
