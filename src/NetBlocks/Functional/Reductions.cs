using NetBlocks.Autograd;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>Σ of all elements, a scalar.</summary>
    public static Tensor Sum(Tensor x) => ReduceAll(x, mean: false);

    /// <summary>Mean of all elements, a scalar.</summary>
    public static Tensor Mean(Tensor x) => ReduceAll(x, mean: true);

    /// <summary>Σ over dimension <paramref name="dim"/>.</summary>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false) => ReduceDim(x, dim, keepDim, mean: false);

    /// <summary>Mean over dimension <paramref name="dim"/>.</summary>
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false) => ReduceDim(x, dim, keepDim, mean: true);

    private static Tensor ReduceAll(Tensor x, bool mean)
    {
        if (AnyMeta(x)) return Tensor.Meta();
        double s = Elementwise.Sum(x.Span);
        var y = Tensor.Scalar((float)(mean ? s / Math.Max(1, x.Numel) : s));
        return Node.ShouldRecord(x) ? new ReduceBackward(x, x.Rank == 0 ? 0 : -1, mean).Attach(y) : y;
    }

    private static Tensor ReduceDim(Tensor x, int dim, bool keepDim, bool mean)
    {
        int d = ShapeUtil.NormalizeDim(dim, x.Rank);
        var (outer, size, inner) = Split(x.ShapeArray, d);
        var keptShape = x.ShapeArray.ToArray();
        keptShape[d] = 1;
        if (AnyMeta(x)) return Tensor.Meta(keepDim ? keptShape : Drop(x.ShapeArray, d));
        var y = Tensor.Empty(keepDim ? keptShape : Drop(x.ShapeArray, d));
        var xs = x.Span; var ys = y.Span;
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            double s = 0;
            for (int k = 0; k < size; k++) s += xs[(o * size + k) * inner + i];
            ys[o * inner + i] = (float)(mean ? s / size : s);
        }
        return Node.ShouldRecord(x) ? new ReduceBackward(x, d, mean).Attach(y) : y;
    }

    /// <summary>Maximum along <paramref name="dim"/> (values; the gradient flows to the first maximum).</summary>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormalizeDim(dim, x.Rank);
        var keptShape = x.ShapeArray.ToArray();
        keptShape[d] = 1;
        if (AnyMeta(x)) return Tensor.Meta(keepDim ? keptShape : Drop(x.ShapeArray, d));
        var y = Tensor.Empty(keepDim ? keptShape : Drop(x.ShapeArray, d));
        var arg = new int[y.Numel];
        FirstMaxAlong(x.Span, x.ShapeArray, d, arg, y.Span);
        return Node.ShouldRecord(x) ? new MaxBackward(x, d, arg).Attach(y) : y;
    }

    /// <summary>Maximum of all elements (a scalar; not differentiable).</summary>
    public static float MaxValue(Tensor x)
    {
        var s = x.Span;
        if (s.IsEmpty) throw new ArgumentException("max of an empty tensor");
        float m = s[0];
        foreach (var v in s) if (v > m) m = v;
        return m;
    }

    /// <summary>Index of the first maximum along <paramref name="dim"/> (not differentiable), as torch.argmax.</summary>
    public static int[] ArgMax(Tensor x, int dim = -1)
    {
        int d = ShapeUtil.NormalizeDim(dim, x.Rank);
        var result = new int[x.Numel / Math.Max(1, x.Size(d))];
        FirstMaxAlong(x.Span, x.ShapeArray, d, result, default);
        return result;
    }

    /// <summary>For each position of the other dimensions: the index (and value, if asked) of the first maximum along d.</summary>
    private static void FirstMaxAlong(ReadOnlySpan<float> xs, int[] shape, int d, Span<int> arg, Span<float> values)
    {
        var (outer, size, inner) = Split(shape, d);
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            int best = 0; float bv = xs[o * size * inner + i];
            for (int k = 1; k < size; k++)
            {
                float v = xs[(o * size + k) * inner + i];
                if (v > bv) { bv = v; best = k; }
            }
            arg[o * inner + i] = best;
            if (!values.IsEmpty) values[o * inner + i] = bv;
        }
    }

    private static (int outer, int size, int inner) Split(int[] shape, int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[d], inner);
    }

    private static int[] Drop(int[] shape, int d) => [.. shape[..d], .. shape[(d + 1)..]];

    /// <summary>y = Σ (or mean) of x over dim (all dims when dim = −1). dx = dy broadcast back (÷ count for the mean).</summary>
    private sealed class ReduceBackward(Tensor x, int dim, bool mean) : Node(x)
    {
        private readonly int[] _shape = x.ShapeArray;
        public override string Name => mean ? "MeanBackward0" : "SumBackward0";

        protected internal override void Backward(Tensor dy)
        {
            var dx = Tensor.Empty(_shape);
            var dxs = dx.Span; var dys = dy.Span;
            if (dim < 0 || _shape.Length == 0)
            {
                dxs.Fill(mean ? dys[0] / Math.Max(1, dxs.Length) : dys[0]);
            }
            else
            {
                var (outer, size, inner) = Split(_shape, dim);
                float scale = mean ? 1f / size : 1f;
                for (int o = 0; o < outer; o++)
                for (int k = 0; k < size; k++)
                for (int i = 0; i < inner; i++) dxs[(o * size + k) * inner + i] = dys[o * inner + i] * scale;
            }
            Accumulate(0, dx);
        }
    }

    /// <summary>y = max over dim. dx = dy at the first maximum, 0 elsewhere.</summary>
    private sealed class MaxBackward(Tensor x, int dim, int[] argmax) : Node(x)
    {
        private readonly int[] _shape = x.ShapeArray;
        public override string Name => "MaxBackward0";

        protected internal override void Backward(Tensor dy)
        {
            var dx = Tensor.Zeros(_shape);
            var (outer, size, inner) = Split(_shape, dim);
            var dxs = dx.Span; var dys = dy.Span;
            for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) dxs[(o * size + argmax[o * inner + i]) * inner + i] = dys[o * inner + i];
            Accumulate(0, dx);
        }
    }
}
