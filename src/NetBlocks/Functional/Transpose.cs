using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>The transpose of a matrix (rows, cols) → (cols, rows), materialised.</summary>
    public static Tensor Transpose(Tensor x)
    {
        if (x.Rank != 2) throw new ArgumentException($"Transpose expects a matrix, got shape {ShapeUtil.Format(x.Shape)}");
        if (AnyMeta(x)) return Tensor.Meta(x.Size(1), x.Size(0));
        var y = TransposeCopy(x);
        return Node.ShouldRecord(x) ? new TransposeBackward(x).Attach(y) : y;
    }

    private static Tensor TransposeCopy(Tensor x)
    {
        int r = x.Size(0), c = x.Size(1);
        var y = Tensor.Empty(x.Device, c, r);
        x.Backend.Transpose(x, y);
        return y;
    }

    /// <summary>y = xᵀ. dx = dyᵀ.</summary>
    private sealed class TransposeBackward(Tensor x) : Node(x)
    {
        public override string Name => "TBackward0";
        protected internal override void Backward(Tensor dy) => Accumulate(0, TransposeCopy(dy));
    }
}
