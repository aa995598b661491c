using NetBlocks.Autograd;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>The same elements with another shape (one entry may be −1). Shares the buffer: no copy.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var target = ShapeUtil.ResolveReshape(x.Shape, shape);
        var y = x.ViewAs(target);
        return Node.ShouldRecord(x) ? new ReshapeBackward(x).Attach(y) : y;
    }

    /// <summary>Flattens dimensions startDim..endDim into one, as torch.flatten (default: keep the batch dimension).</summary>
    public static Tensor Flatten(Tensor x, int startDim = 1, int endDim = -1)
    {
        if (x.Rank == 0) return Reshape(x, 1);
        int s = ShapeUtil.NormalizeDim(startDim, x.Rank), e = ShapeUtil.NormalizeDim(endDim, x.Rank);
        if (s > e) throw new ArgumentException($"flatten: start_dim {startDim} comes after end_dim {endDim}");
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(x.Size(i));
        shape.Add(Sizes.Elements(x.Shape.Slice(s, e - s + 1)));
        for (int i = e + 1; i < x.Rank; i++) shape.Add(x.Size(i));
        return Reshape(x, [.. shape]);
    }

    /// <summary>y = x viewed with another shape. dx = dy viewed with x's shape.</summary>
    private sealed class ReshapeBackward(Tensor x) : Node(x)
    {
        private readonly int[] _inputShape = x.ShapeArray;
        public override string Name => "ViewBackward0";

        protected internal override void Backward(Tensor dy)
        {
            var dx = Tensor.Empty(dy.Device, _inputShape);
            dy.Backend.Copy(dy, dx);
            Accumulate(0, dx);
        }
    }
}
