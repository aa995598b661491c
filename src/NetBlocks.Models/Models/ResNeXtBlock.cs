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
    }

    protected override Tensor ForwardImpl(Tensor x)
    {
        var y = Then(_conv1.Forward(x), _bn1.ForwardRelu);
        y = Then(Then(y, _conv2.Forward), _bn2.ForwardRelu);
        if (_se is not null) y = Then(y, _se.Forward);
        y = Then(Then(y, _conv3.Forward), _bn3.Forward);
        var shortcut = _conv4 is null ? x : Then(_conv4.Forward(x), _bn4!.Forward);
        var sum = F.Add(y, shortcut);
        Done(y);
        if (!ReferenceEquals(shortcut, x)) Done(shortcut);
        return Then(sum, F.ReluConsuming);
    }


    protected override int[] InferShape(int[] input)
    {
        var y = _conv1.Build(input);
        y = _bn1.Build(y);
        y = _conv2.Build(y);
        y = _bn2.Build(y);
        if (_se is not null) y = _se.Build(y);
        y = _conv3.Build(y);
        y = _bn3.Build(y);
        var s = input;
        if (_conv4 is not null) s = _bn4!.Build(_conv4.Build(input));
        if (!y.AsSpan().SequenceEqual(s))
            throw new ArgumentException($"residual branch {ShapeUtil.Format(y)} and shortcut {ShapeUtil.Format(s)} differ: use a projection (use_1x1conv) when the stride or channel count changes");
        return y;
    }
}
