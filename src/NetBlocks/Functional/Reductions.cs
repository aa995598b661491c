using NetBlocks.Autograd;
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
        var y = Tensor.Empty(x.Device);
        x.Backend.Sum(x, -1, mean, y);
        return Node.ShouldRecord(x) ? new ReduceBackward(x, x.Rank == 0 ? 0 : -1, mean).Attach(y) : y;
    }

    private static Tensor ReduceDim(Tensor x, int dim, bool keepDim, bool mean)
    {
        int d = ShapeUtil.NormalizeDim(dim, x.Rank);
        var shape = keepDim ? KeptShape(x.ShapeArray, d) : Drop(x.ShapeArray, d);
        if (AnyMeta(x)) return Tensor.Meta(shape);
        var y = Tensor.Empty(x.Device, shape);
        x.Backend.Sum(x, d, mean, y);
        return Node.ShouldRecord(x) ? new ReduceBackward(x, d, mean).Attach(y) : y;
    }

    /// <summary>Maximum along <paramref name="dim"/> (values; the gradient flows to the first maximum).</summary>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormalizeDim(dim, x.Rank);
        var shape = keepDim ? KeptShape(x.ShapeArray, d) : Drop(x.ShapeArray, d);
        if (AnyMeta(x)) return Tensor.Meta(shape);
        var y = Tensor.Empty(x.Device, shape);
        var indices = Tensor.EmptyInt32(x.Device, y.ShapeArray);
        x.Backend.MaxAlong(x, d, y, indices);
        return Node.ShouldRecord(x) ? new MaxBackward(x, d, indices).Attach(y) : y;
    }

    /// <summary>Maximum of all elements (a scalar; not differentiable).</summary>
    public static float MaxValue(Tensor x)
    {
        if (x.Numel == 0) throw new ArgumentException("max of an empty tensor");
        var flat = x.ViewAs([x.Numel]);
        var value = Tensor.Empty(x.Device);
        flat.Backend.MaxAlong(flat, 0, value, Tensor.EmptyInt32(x.Device));
        flat.Release();
        float max = value.Item();
        value.Release();
        return max;
    }

    /// <summary>
    /// Index of the first maximum along <paramref name="dim"/> (not differentiable), as torch.argmax: an int32 tensor of
    /// x's shape without that dimension.
    /// </summary>
    public static Tensor ArgMax(Tensor x, int dim = -1)
    {
        int d = ShapeUtil.NormalizeDim(dim, x.Rank);
        var indices = Tensor.EmptyInt32(x.Device, Drop(x.ShapeArray, d));
        x.Backend.MaxAlong(x, d, null, indices);
        return indices;
    }

    private static int[] KeptShape(int[] shape, int d)
    {
        var kept = shape.ToArray();
        kept[d] = 1;
        return kept;
    }

    private static int[] Drop(int[] shape, int d) => [.. shape[..d], .. shape[(d + 1)..]];

    /// <summary>y = Σ (or mean) of x over dim (all dims when dim = −1). dx = dy broadcast back (÷ count for the mean).</summary>
    private sealed class ReduceBackward(Tensor x, int dim, bool mean) : Node(x)
    {
        private readonly int[] _shape = x.ShapeArray;
        public override string Name => mean ? "MeanBackward0" : "SumBackward0";

        protected internal override void Backward(Tensor dy)
        {
            var dx = Tensor.Empty(dy.Device, _shape);
            dy.Backend.SumBackward(dy, dim, mean, dx);
            Accumulate(0, dx);
        }
    }

    /// <summary>y = max over dim. dx = dy at the first maximum, 0 elsewhere.</summary>
    private sealed class MaxBackward(Tensor x, int dim, Tensor indices) : Node(x)
    {
        private readonly int[] _shape = x.ShapeArray;
        public override string Name => "MaxBackward0";

        protected internal override void Backward(Tensor dy)
        {
            var dx = Tensor.Empty(dy.Device, _shape);
            dy.Backend.MaxAlongBackward(dy, indices, dim, dx);
            Accumulate(0, dx);
        }
    }
}
