using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>C = A · B for matrices A (m, k) and B (k, n).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank != 2 || b.Rank != 2 || a.Size(1) != b.Size(0))
            throw new ArgumentException($"MatMul: cannot multiply shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
        if (AnyMeta(a, b)) return Tensor.Meta(a.Size(0), b.Size(1));
        SameDevice("matmul", a, b);
        int m = a.Size(0), k = a.Size(1), n = b.Size(1);
        var c = Tensor.Empty(a.Device, m, n);
        a.Backend.MatMul(a, false, b, false, c);
        return Node.ShouldRecord(a, b) ? new MatMulBackward(a.KeepForBackward(), b.KeepForBackward()).Attach(c) : c;
    }

    /// <summary>C = A · B. dA = dC · Bᵀ, dB = Aᵀ · dC.</summary>
    private sealed class MatMulBackward(Tensor a, Tensor b) : Node(a, b)
    {
        public override string Name => "MmBackward0";

        protected internal override void Backward(Tensor dc)
        {
            int m = a.Size(0), k = a.Size(1), n = b.Size(1);
            if (NeedsGrad(0))
            {
                var da = Tensor.Empty(dc.Device, m, k);
                dc.Backend.MatMul(dc, false, b, true, da);
                Accumulate(0, da);
            }
            if (NeedsGrad(1))
            {
                var db = Tensor.Empty(dc.Device, k, n);
                dc.Backend.MatMul(a, true, dc, false, db);
                Accumulate(1, db);
            }
        }
    }
}
