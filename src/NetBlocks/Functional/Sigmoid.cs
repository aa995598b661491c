using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>y = 1 / (1 + e^−x), the gate of squeeze-excitation.</summary>
    public static Tensor Sigmoid(Tensor x)
    {
        using var profile = OpProfiler.Scope("Sigmoid");
        if (AnyMeta(x)) return Tensor.Meta(x.ShapeArray);
        var y = Tensor.Empty(x.Device, x.ShapeArray);
        x.Backend.Sigmoid(x, y);
        return Node.ShouldRecord(x) ? new SigmoidBackward(x, y.KeepForBackward()).Attach(y) : y;
    }

    /// <summary>y = σ(x). dx = dy · y · (1 − y).</summary>
    private sealed class SigmoidBackward(Tensor x, Tensor y) : Node(x)
    {
        public override string Name => "SigmoidBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("SigmoidBackward");
            var dx = Tensor.Empty(dy.Device, dy.ShapeArray);
            dy.Backend.SigmoidBackward(y, dy, dx);
            Accumulate(0, dx);
        }
    }
}
