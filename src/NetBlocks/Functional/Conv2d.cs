using NetBlocks.Autograd;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// 2-D convolution, torch.nn.functional.conv2d: x (N, C, H, W), weight (OC, C/groups, KH, KW), bias (OC) →
    /// (N, OC, (H + 2p − KH)/s + 1, (W + 2p − KW)/s + 1).
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int groups = 1)
    {
        var g = ConvShape(x.ShapeArray, weight.ShapeArray, bias?.ShapeArray, stride, padding, groups);
        if (AnyMeta(x, weight, bias)) return Tensor.Meta(g.N, g.OC, g.OH, g.OW);
        SameDevice("conv2d", x, weight, bias);
        using var profile = OpProfiler.Scope(OpProfiler.Enabled ? "Conv2d " + Describe(g) : "Conv2d");
        var y = Tensor.Empty(x.Device, g.N, g.OC, g.OH, g.OW);
        x.Backend.Conv2d(x, weight, bias, y, g);
        return Node.ShouldRecord(x, weight, bias) ? new Conv2dBackward(x.KeepForBackward(), weight.KeepForBackward(), bias, g).Attach(y) : y;
    }

    /// <summary>
    /// The forward of an inference plan's convolution: conv2d(x, weight, bias) as <see cref="Conv2d"/> computes it, with
    /// <paramref name="relu"/> followed by max(·, 0) in the kernel's store (bit for bit <see cref="Relu"/> after it, one pass
    /// over the output less), and with <paramref name="prepared"/> (<see cref="PrepareConv2d"/> of this very weight) read
    /// in place of re-laying the weights out. Records no graph: refused while gradients would be recorded.
    /// </summary>
    public static Tensor Conv2dForInference(Tensor x, Tensor weight, Tensor? bias, int stride, int padding, int groups, PackedWeights? prepared, bool relu)
    {
        var g = ConvShape(x.ShapeArray, weight.ShapeArray, bias?.ShapeArray, stride, padding, groups);
        if (AnyMeta(x, weight, bias)) return Tensor.Meta(g.N, g.OC, g.OH, g.OW);
        SameDevice("conv2d", x, weight, bias);
        if (Node.ShouldRecord(x, weight, bias))
            throw new InvalidOperationException("conv2d for inference has no backward: run it under GradMode.NoGrad()");
        string op = relu ? "Conv2d+Relu" : "Conv2d";
        using var profile = OpProfiler.Scope(OpProfiler.Enabled ? op + " " + Describe(g) : op);
        var y = Tensor.Empty(x.Device, g.N, g.OC, g.OH, g.OW);
        x.Backend.Conv2dForInference(x, weight, bias, y, g, prepared, relu);
        return y;
    }

    /// <summary>
    /// The ready form of <paramref name="weight"/> for <see cref="Conv2dForInference"/> at inputs of
    /// <paramref name="inputShape"/> (its backend's <see cref="Backends.IBackend.PrepareConv2d"/>): null on the meta device
    /// and on a backend that reads the weights as they are.
    /// </summary>
    public static PackedWeights? PrepareConv2d(Tensor weight, int[] inputShape, int stride, int padding, int groups)
    {
        var g = ConvShape(inputShape, weight.ShapeArray, null, stride, padding, groups);
        return weight.IsMeta ? null : weight.Backend.PrepareConv2d(weight, g);
    }

    /// <summary>"64→128 3×3/1 g1 @48×48": the layer's shape in a profile.</summary>
    private static string Describe(ConvGeometry g) => $"{g.C}→{g.OC} {g.KH}×{g.KW}/{g.Stride} g{g.Groups} @{g.H}×{g.W}";

    /// <summary>Validates conv2d shapes and returns the geometry, or throws with the expected and actual shapes.</summary>
    public static ConvGeometry ConvShape(int[] x, int[] w, int[]? bias, int stride, int padding, int groups)
    {
        if (stride < 1) throw new ArgumentException($"conv2d: stride must be at least 1, got {stride}");
        if (padding < 0) throw new ArgumentException($"conv2d: padding must not be negative, got {padding}");
        if (groups < 1) throw new ArgumentException($"conv2d: groups must be at least 1, got {groups}");
        if (w.Length != 4) throw new ArgumentException($"conv2d: weight must be (OC, C/groups, KH, KW), got {ShapeUtil.Format(w)}");
        if (x.Length != 4) throw new ArgumentException($"conv2d: expected input (N, C, H, W), got {ShapeUtil.Format(x)}");
        int oc = w[0], cg = w[1], kh = w[2], kw = w[3];
        if (oc % groups != 0) throw new ArgumentException($"conv2d: {oc} output channels are not divisible by groups={groups}");
        if (x[1] != (long)cg * groups)
            throw new ArgumentException($"conv2d: expected input with {(long)cg * groups} channels (N, {(long)cg * groups}, H, W), got {ShapeUtil.Format(x)}");
        if (bias is not null && (bias.Length != 1 || bias[0] != oc))
            throw new ArgumentException($"conv2d: bias must be ({oc},), got {ShapeUtil.Format(bias)}");
        if (x[2] + 2L * padding < kh || x[3] + 2L * padding < kw)
            throw new ArgumentException($"conv2d: input {ShapeUtil.Format(x)} padded by {padding} is smaller than the {kh}×{kw} kernel");
        if ((x[2] + 2L * padding - kh) / stride + 1 > int.MaxValue || (x[3] + 2L * padding - kw) / stride + 1 > int.MaxValue)
            throw new ArgumentException($"conv2d: input {ShapeUtil.Format(x)} padded by {padding} gives an output plane larger than a tensor holds");
        return new ConvGeometry(x[0], x[1], x[2], x[3], oc, kh, kw, stride, padding, groups);
    }

    /// <summary>
    /// y = conv(x, W) + b. dx = conv_transpose(dy, W) (Wᵀ·dy folded back by col2im), dW = Σₙ dy·cols(x)ᵀ, db = Σ dy.
    /// </summary>
    private sealed class Conv2dBackward(Tensor x, Tensor weight, Tensor? bias, ConvGeometry g) : Node(x, weight, bias)
    {
        public override string Name => "ConvolutionBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope(OpProfiler.Enabled ? "Conv2dBackward " + Describe(g) : "Conv2dBackward");
            if (NeedsGrad(0))
            {
                var dx = Tensor.Empty(dy.Device, x.ShapeArray);
                dy.Backend.Conv2dBackwardData(dy, weight, dx, g);
                Accumulate(0, dx);
            }
            if (NeedsGrad(1) || NeedsGrad(2))
            {
                var dw = Tensor.Empty(dy.Device, weight.ShapeArray);
                Tensor? db = bias is not null ? Tensor.Empty(dy.Device, g.OC) : null;
                dy.Backend.Conv2dBackwardWeight(dy, x, dw, db, g);
                if (NeedsGrad(1)) Accumulate(1, dw); else dw.Release();
                if (db is not null) { if (NeedsGrad(2)) Accumulate(2, db); else db.Release(); }
            }
        }
    }
}
