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
    private readonly Pipeline _body, _shortcut;

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
        _body = new Pipeline().Then(_conv1).BatchNormRelu(_bn1).Then(_conv2).Then(_bn2);
        _shortcut = new Pipeline().Then(_conv3);
    }

    /// <summary>d2l prints the class name of its block.</summary>
    public override string TypeName => "Residual";

    /// <summary>relu(body(x) + shortcut(x)) as one op (F.AddReluConsuming), written over the body's output.</summary>
    protected override Tensor ForwardImpl(Tensor x) =>
        Combine(x, _body.Run(x), _shortcut.Run(x), Residual.ReluOfBranchPlusShortcut);
}
