using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>y = max(x, 0).</summary>
    public static Tensor Relu(Tensor x)
    {
        using var profile = OpProfiler.Scope("Relu");
        if (AnyMeta(x)) return Tensor.Meta(x.ShapeArray);
        var y = Tensor.Empty(x.Device, x.ShapeArray);
        x.Backend.Relu(x, y);
        return Node.ShouldRecord(x) ? new ReluBackward(x, y.KeepForBackward()).Attach(y) : y;
    }

    /// <summary>
    /// y = max(x, 0) for an intermediate x that the caller hands over and does not use again (a convolution's or a
    /// residual sum's output inside a block): written over x's buffer when nothing else holds or reads it
    /// (<see cref="Tensor.CanBeOverwritten"/>), else as <see cref="Relu"/>. The same values and gradients; one buffer of
    /// x's size less, which for VGG and NiN are the largest activations (PyTorch's ReLU(inplace=True)).
    /// </summary>
    public static Tensor ReluConsuming(Tensor x)
    {
        if (!x.CanBeOverwritten) return Relu(x);
        using var profile = OpProfiler.Scope("Relu");
        x.Backend.Relu(x, x);
        var y = x.ViewAs(x.ShapeArray);
        return Node.ShouldRecord(x) ? new ReluBackward(x, y.KeepForBackward()).Attach(y) : y;
    }

    /// <summary>
    /// y = max(x, 0). dx = dy where y &gt; 0, else 0, written over dy when the engine's gradient buffer is not shared. Reading the mask from y (not x) lets x be freed early, and
    /// gives gradient 0 at x = 0 as PyTorch does.
    /// </summary>
    private sealed class ReluBackward(Tensor x, Tensor y) : Node(x)
    {
        public override string Name => "ReluBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("ReluBackward");
            var dx = dy.CanBeOverwritten ? dy.ViewAs(dy.ShapeArray) : Tensor.Empty(dy.Device, dy.ShapeArray);
            dy.Backend.ReluBackward(y, dy, dx);
            Accumulate(0, dx);
        }
    }
}
