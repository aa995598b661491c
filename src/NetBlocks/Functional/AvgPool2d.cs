using NetBlocks.Autograd;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>Average pooling with a square window (floor mode, padding counted in the divisor), torch.nn.functional.avg_pool2d.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0)
    {
        using var profile = OpProfiler.Scope("AvgPool2d");
        var g = PoolShape("avg_pool2d", x.ShapeArray, kernel, stride ?? kernel, padding);
        if (AnyMeta(x)) return Tensor.Meta(x.Size(0), x.Size(1), g.OH, g.OW);
        var y = Tensor.Empty(x.Device, x.Size(0), x.Size(1), g.OH, g.OW);
        x.Backend.AvgPool2d(x, y, g);
        return Node.ShouldRecord(x) ? new AvgPool2dBackward(x, g).Attach(y) : y;
    }

    /// <summary>y = mean over windows. dx[window] += dy / kernel².</summary>
    private sealed class AvgPool2dBackward(Tensor x, PoolGeometry g) : Node(x)
    {
        public override string Name => "AvgPool2DBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("AvgPool2dBackward");
            var dx = Tensor.Empty(dy.Device, x.ShapeArray);
            dy.Backend.AvgPool2dBackward(dy, dx, g);
            Accumulate(0, dx);
        }
    }
}
