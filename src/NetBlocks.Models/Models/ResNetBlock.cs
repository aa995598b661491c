using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Models;

/// <summary>
/// d2l's <c>Residual</c>, the plain ResNet block: Y = BN(conv3×3(ReLU(BN(conv3×3, stride s (X))))), then ReLU(Y + X'),
/// where X' = X or, with <c>useProjection</c>, a 1×1 convolution with stride s (no batch norm on the shortcut, as in
/// d2l). Children in d2l's order: conv1, conv2, conv3 (projection), bn1, bn2. Used by the "de-ResNeXt-ify" exercise.
/// </summary>
public sealed class ResNetBlock : Module
{
    private readonly Conv2d _conv1, _conv2;
    private readonly Conv2d? _conv3;
    private readonly BatchNorm2d _bn1, _bn2;

    public int Channels { get; }
    public int Stride { get; }

    public ResNetBlock(int channels, bool useProjection = false, int stride = 1)
    {
        Channels = channels; Stride = stride;
        _conv1 = AddChild("conv1", Conv2d.Lazy(channels, 3, stride, 1));
        _conv2 = AddChild("conv2", Conv2d.Lazy(channels, 3, 1, 1));
        if (useProjection) _conv3 = AddChild("conv3", Conv2d.Lazy(channels, 1, stride));
        _bn1 = AddChild("bn1", new BatchNorm2d());
        _bn2 = AddChild("bn2", new BatchNorm2d());
    }

    /// <summary>d2l prints the class name of its block.</summary>
    public override string TypeName => "Residual";

    protected override Tensor ForwardImpl(Tensor x)
    {
        var y = Then(Then(_conv1.Forward(x), _bn1.ForwardRelu), _conv2.Forward);
        y = Then(y, _bn2.Forward);
        var shortcut = _conv3 is null ? x : _conv3.Forward(x);
        var sum = F.Add(y, shortcut);
        Done(y);
        if (!ReferenceEquals(shortcut, x)) Done(shortcut);
        return Then(sum, F.ReluConsuming);
    }


    protected override int[] InferShape(int[] input)
    {
        var y = _bn2.Build(_conv2.Build(_bn1.Build(_conv1.Build(input))));
        var s = _conv3 is null ? input : _conv3.Build(input);
        if (!y.AsSpan().SequenceEqual(s))
            throw new ArgumentException($"residual branch {ShapeUtil.Format(y)} and shortcut {ShapeUtil.Format(s)} differ: use a projection (use_1x1conv) when the stride or channel count changes");
        return y;
    }
}
