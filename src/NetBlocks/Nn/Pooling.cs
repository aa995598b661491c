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


    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation=1, ceil_mode=False";
}

/// <summary>torch.nn.AvgPool2d with a square window (padding counted in the divisor).</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;

    protected override Tensor ForwardImpl(Tensor x) => F.AvgPool2d(x, KernelSize, Stride, Padding);
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>torch.nn.AdaptiveAvgPool2d; (1, 1) is global average pooling.</summary>
public sealed class AdaptiveAvgPool2d(int outH = 1, int? outW = null) : Module
{
    public int OutH { get; } = outH;
    public int OutW { get; } = outW ?? outH;

    protected override Tensor ForwardImpl(Tensor x) => F.AdaptiveAvgPool2d(x, OutH, OutW);

    protected override string ExtraRepr() => $"output_size=({OutH}, {OutW})";
}
