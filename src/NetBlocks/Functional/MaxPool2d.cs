using NetBlocks.Autograd;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>Max pooling over (N, C, H, W) with a square window (floor mode), torch.nn.functional.max_pool2d.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0)
    {
        using var profile = OpProfiler.Scope("MaxPool2d");
        var g = PoolShape("max_pool2d", x.ShapeArray, kernel, stride ?? kernel, padding);
        if (AnyMeta(x)) return Tensor.Meta(x.Size(0), x.Size(1), g.OH, g.OW);
        var y = Tensor.Empty(x.Device, x.Size(0), x.Size(1), g.OH, g.OW);
        // no indices are kept: the backward finds each window's maximum again in x (saved anyway as the input),
        // which costs a pass over x but no memory between forward and backward and no allocation
        x.Backend.MaxPool2d(x, y, g);
        return Node.ShouldRecord(x) ? new MaxPool2dBackward(x.KeepForBackward(), g).Attach(y) : y;
    }

    internal static PoolGeometry PoolShape(string op, int[] x, int kernel, int stride, int padding)
    {
        if (x.Length != 4) throw new ArgumentException($"{op}: expected input (N, C, H, W), got {ShapeUtil.Format(x)}");
        if (kernel < 1 || stride < 1) throw new ArgumentException($"{op}: kernel and stride must be at least 1");
        if (padding < 0 || padding > kernel / 2) throw new ArgumentException($"{op}: padding {padding} must be between 0 and half the kernel size {kernel}");
        if (x[2] + 2L * padding < kernel || x[3] + 2L * padding < kernel)
            throw new ArgumentException($"{op}: input {ShapeUtil.Format(x)} padded by {padding} is smaller than the {kernel}×{kernel} window");
        return new PoolGeometry(x[0] * x[1], x[2], x[3], kernel, stride, padding);
    }

    /// <summary>y = max over windows. dx[argmax] += dy, with argmax recomputed from x (the first maximum of each window).</summary>
    private sealed class MaxPool2dBackward(Tensor x, PoolGeometry g) : Node(x)
    {
        public override string Name => "MaxPool2DWithIndicesBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("MaxPool2dBackward");
            var dx = Tensor.Empty(dy.Device, x.ShapeArray);
            dy.Backend.MaxPool2dBackward(x, dy, dx, g);
            Accumulate(0, dx);
        }
    }
}
