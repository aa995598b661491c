using NetBlocks.Autograd;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>y = max(x, 0).</summary>
    public static Tensor Relu(Tensor x)
    {
        using var profile = OpProfiler.Scope("Relu");
        var y = Tensor.Empty(x.ShapeArray);
        Elementwise.Relu(x.Span, y.Span);
        return Node.ShouldRecord(x) ? new ReluBackward(x, y.KeepForBackward()).Attach(y) : y;
    }

    /// <summary>
    /// y = max(x, 0). dx = dy where y &gt; 0, else 0. Reading the mask from y (not x) lets x be freed early, and
    /// gives gradient 0 at x = 0 as PyTorch does.
    /// </summary>
    private sealed class ReluBackward(Tensor x, Tensor y) : Node(x)
    {
        public override string Name => "ReluBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("ReluBackward");
            var dx = Tensor.Empty(dy.ShapeArray);
            Elementwise.ReluBackward(y.Span, dy.Span, dx.Span);
            Accumulate(0, dx);
        }
    }
}
