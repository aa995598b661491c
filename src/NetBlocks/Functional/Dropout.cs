using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1 − p), so
    /// evaluation is the identity. The mask comes from <paramref name="generator"/> (default: the seeded default).
    /// </summary>
    public static Tensor Dropout(Tensor x, float p, bool training, RandomGenerator? generator = null)
    {
        using var profile = OpProfiler.Scope("Dropout");
        if (p < 0 || p > 1) throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {p}");
        if (!training || p == 0) return x;
        if (AnyMeta(x)) return Tensor.Meta(x.ShapeArray); // no mask drawn: a shape pass leaves the generator as it was
        var mask = Tensor.Empty(x.Device, x.ShapeArray);
        x.Backend.DropoutMask(mask, p, generator ?? RandomGenerator.Default);
        var y = Tensor.Empty(x.Device, x.ShapeArray);
        x.Backend.Multiply(x, mask, y);
        if (Node.ShouldRecord(x)) return new DropoutBackward(x, mask).Attach(y);
        mask.Release();
        return y;
    }

    /// <summary>y = x · mask (mask ∈ {0, 1/(1 − p)}). dx = dy · mask.</summary>
    private sealed class DropoutBackward(Tensor x, Tensor mask) : Node(x)
    {
        public override string Name => "MulBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("DropoutBackward");
            var dx = Tensor.Empty(dy.Device, dy.ShapeArray);
            dy.Backend.Multiply(dy, mask, dx);
            Accumulate(0, dx);
        }

        protected internal override void ReleaseSaved() => mask.Release();
    }
}
