using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>y = x · Wᵀ + b for x (N, in), W (out, in), b (out) — torch.nn.functional.linear.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        using var profile = OpProfiler.Scope("Linear");
        if (x.Rank != 2 || weight.Rank != 2 || x.Size(1) != weight.Size(1))
            throw new ArgumentException($"linear: input of shape {ShapeUtil.Format(x.Shape)} does not match weight of shape {ShapeUtil.Format(weight.Shape)} (expected (N, {(weight.Rank == 2 ? weight.Size(1) : -1)}))");
        if (AnyMeta(x, weight, bias)) return Tensor.Meta(x.Size(0), weight.Size(0));
        SameDevice("linear", x, weight, bias);
        int n = x.Size(0), inF = x.Size(1), outF = weight.Size(0);
        var y = Tensor.Empty(x.Device, n, outF);
        x.Backend.MatMul(x, false, weight, true, y);
        if (bias is not null) x.Backend.AddRowsInPlace(y, bias);
        return Node.ShouldRecord(x, weight, bias) ? new LinearBackward(x.KeepForBackward(), weight.KeepForBackward(), bias).Attach(y) : y;
    }

    /// <summary>y = x · Wᵀ + b. dx = dy · W, dW = dyᵀ · x, db = Σₙ dy.</summary>
    private sealed class LinearBackward(Tensor x, Tensor weight, Tensor? bias) : Node(x, weight, bias)
    {
        public override string Name => "AddmmBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("LinearBackward");
            int n = x.Size(0), inF = x.Size(1), outF = weight.Size(0);
            if (NeedsGrad(0))
            {
                var dx = Tensor.Empty(dy.Device, n, inF);
                dy.Backend.MatMul(dy, false, weight, false, dx);
                Accumulate(0, dx);
            }
            if (NeedsGrad(1))
            {
                var dw = Tensor.Empty(dy.Device, outF, inF);
                dy.Backend.MatMul(dy, true, x, false, dw);
                Accumulate(1, dw);
            }
            if (NeedsGrad(2))
            {
                var db = Tensor.Empty(dy.Device, outF);
                dy.Backend.Sum(dy, 0, mean: false, db); // Σ over the batch, column by column
                Accumulate(2, db);
            }
        }
    }
}
