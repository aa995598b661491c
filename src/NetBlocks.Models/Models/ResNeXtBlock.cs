using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Models;

/// <summary>
/// d2l's ResNeXt block: 1×1 conv → BN → ReLU → 3×3 grouped conv (stride s) → BN → ReLU → 1×1 conv → BN, plus the
/// shortcut (identity, or a 1×1 conv with stride s and BN when <c>useProjection</c>), then ReLU(Y + X).
/// <c>groupWidth</c> is d2l's <c>groups</c> argument: the 3×3 convolution has bot_channels / groupWidth groups,
/// with bot_channels = round(channels · bottleneckMultiplier). Optional squeeze-excitation (RegNetY) after the 3×3 stage.
/// </summary>
public sealed class ResNeXtBlock : Module
{
    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly BatchNorm2d _bn1, _bn2, _bn3;
    private readonly Conv2d? _conv4;
    private readonly BatchNorm2d? _bn4;
    private readonly SqueezeExcitation? _se;
    private readonly Pipeline _body, _shortcut;

    public int Channels { get; }
    public int BottleneckChannels { get; }
    public int Groups { get; }
    public int Stride { get; }

    public ResNeXtBlock(int channels, int groupWidth, double bottleneckMultiplier, bool useProjection = false, int stride = 1, int? seChannels = null)
    {
        int bot = (int)Math.Round(channels * bottleneckMultiplier, MidpointRounding.ToEven);
        if (bot < 1) throw new ArgumentException($"ResNeXt block: bottleneck width round({channels}·{bottleneckMultiplier}) is zero");
        if (groupWidth < 1 || bot % groupWidth != 0)
            throw new ArgumentException($"ResNeXt block: bottleneck width {bot} is not divisible by the group width {groupWidth}");
        Channels = channels; BottleneckChannels = bot; Groups = bot / groupWidth; Stride = stride;
        _conv1 = AddChild("conv1", Conv2d.Lazy(bot, 1));
        _conv2 = AddChild("conv2", Conv2d.Lazy(bot, 3, stride, 1, groups: Groups));
        _conv3 = AddChild("conv3", Conv2d.Lazy(channels, 1));
        _bn1 = AddChild("bn1", new BatchNorm2d());
        _bn2 = AddChild("bn2", new BatchNorm2d());
        _bn3 = AddChild("bn3", new BatchNorm2d());
        if (useProjection)
        {
            _conv4 = AddChild("conv4", Conv2d.Lazy(channels, 1, stride));
            _bn4 = AddChild("bn4", new BatchNorm2d());
        }
        if (seChannels is int se) _se = AddChild("se", new SqueezeExcitation(bot, se));
        _body = new Pipeline().Then(_conv1).BatchNormRelu(_bn1).Then(_conv2).BatchNormRelu(_bn2).Then(_se).Then(_conv3).Then(_bn3);
        _shortcut = new Pipeline().Then(_conv4).Then(_bn4);
    }

    /// <summary>relu(body(x) + shortcut(x)) as one op (F.AddReluConsuming), written over the body's output.</summary>
    protected override Tensor ForwardImpl(Tensor x) =>
        Combine(x, _body.Run(x), _shortcut.Run(x), Residual.ReluOfBranchPlusShortcut);
}
