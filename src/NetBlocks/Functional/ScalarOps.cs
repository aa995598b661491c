using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>y = a · x + b for scalars a, b (covers x·s, x+s, −x).</summary>
    public static Tensor Affine(Tensor x, float a, float b)
    {
        if (AnyMeta(x)) return Tensor.Meta(x.ShapeArray);
        var y = Tensor.Empty(x.Device, x.ShapeArray);
        x.Backend.Affine(x, a, b, y);
        return Node.ShouldRecord(x) ? new AffineBackward(x, a).Attach(y) : y;
    }

    /// <summary>y = a · x + b. dx = a · dy.</summary>
    private sealed class AffineBackward(Tensor x, float a) : Node(x)
    {
        public override string Name => "MulBackward0";

        protected internal override void Backward(Tensor dy)
        {
            var dx = Tensor.Empty(dy.Device, dy.ShapeArray);
            dy.Backend.Affine(dy, a, 0f, dx);
            Accumulate(0, dx);
        }
    }
}
