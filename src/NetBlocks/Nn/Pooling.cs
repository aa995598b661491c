using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>torch.nn.MaxPool2d with a square window (stride defaults to the window).</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;

    protected override Tensor ForwardImpl(Tensor x) => F.MaxPool2d(x, KernelSize, Stride, Padding);

    protected override int[] InferShape(int[] input) => PoolOutput("max_pool2d", input, KernelSize, Stride, Padding);

    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation=1, ceil_mode=False";

    internal static int[] PoolOutput(string op, int[] input, int k, int s, int p)
    {
        var g = F.PoolShape(op, input, k, s, p);
        return [input[0], input[1], g.OH, g.OW];
    }
}

/// <summary>torch.nn.AvgPool2d with a square window (padding counted in the divisor).</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;

    protected override Tensor ForwardImpl(Tensor x) => F.AvgPool2d(x, KernelSize, Stride, Padding);
    protected override int[] InferShape(int[] input) => MaxPool2d.PoolOutput("avg_pool2d", input, KernelSize, Stride, Padding);
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>torch.nn.AdaptiveAvgPool2d; (1, 1) is global average pooling.</summary>
public sealed class AdaptiveAvgPool2d(int outH = 1, int? outW = null) : Module
{
    public int OutH { get; } = outH;
    public int OutW { get; } = outW ?? outH;

    protected override Tensor ForwardImpl(Tensor x) => F.AdaptiveAvgPool2d(x, OutH, OutW);

    protected override int[] InferShape(int[] input)
    {
        if (input.Length != 4) throw new ArgumentException($"expected input (N, C, H, W), got {ShapeUtil.Format(input)}");
        if (input[2] < 1 || input[3] < 1) throw new ArgumentException($"input {ShapeUtil.Format(input)} has an empty spatial size");
        return [input[0], input[1], OutH, OutW];
    }

    protected override string ExtraRepr() => $"output_size=({OutH}, {OutW})";
}
