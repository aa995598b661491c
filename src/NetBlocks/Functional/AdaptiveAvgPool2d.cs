using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// Adaptive average pooling to (outH, outW): bin i spans [⌊i·H/outH⌋, ⌈(i+1)·H/outH⌉), as PyTorch.
    /// With (1, 1) it is global average pooling (NiN's head, squeeze-excitation's squeeze).
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW)
    {
        using var profile = OpProfiler.Scope("AdaptiveAvgPool2d");
        if (x.Rank != 4) throw new ArgumentException($"adaptive_avg_pool2d: expected input (N, C, H, W), got {ShapeUtil.Format(x.Shape)}");
        if (outH < 1 || outW < 1) throw new ArgumentException($"adaptive_avg_pool2d: output size must be positive, got ({outH}, {outW})");
        if (x.Size(2) < 1 || x.Size(3) < 1) throw new ArgumentException($"adaptive_avg_pool2d: input {ShapeUtil.Format(x.Shape)} has an empty spatial size");
        if (AnyMeta(x)) return Tensor.Meta(x.Size(0), x.Size(1), outH, outW);
        var y = Tensor.Empty(x.Device, x.Size(0), x.Size(1), outH, outW);
        x.Backend.AdaptiveAvgPool2d(x, y);
        return Node.ShouldRecord(x) ? new AdaptiveAvgPool2dBackward(x).Attach(y) : y;
    }

    /// <summary>y = mean over adaptive bins. dx[bin] += dy / |bin|.</summary>
    private sealed class AdaptiveAvgPool2dBackward(Tensor x) : Node(x)
    {
        public override string Name => "AdaptiveAvgPool2DBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("AdaptiveAvgPool2dBackward");
            var dx = Tensor.Empty(dy.Device, x.ShapeArray);
            dy.Backend.AdaptiveAvgPool2dBackward(dy, dx);
            Accumulate(0, dx);
        }
    }
}
