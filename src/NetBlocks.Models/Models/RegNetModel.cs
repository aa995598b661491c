using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Models;

/// <summary>
/// A RegNet laid out as torchvision's <c>RegNet</c>, so its state dict loads torchvision weights key for key:
/// <c>stem.0.weight</c>, <c>trunk_output.block1.block1-0.proj.0.weight</c>, <c>…f.a.0.weight</c>, <c>…f.se.fc1.weight</c>,
/// <c>…f.c.1.running_var</c>, <c>fc.weight</c>. pycls names the same layers differently (<c>s1.b1.f.a_bn</c>); its layers and
/// parameter counts are the same.
/// </summary>
public sealed class RegNetModel : Module
{
    private readonly Chain _stem;
    private readonly Sequential _trunk;
    private readonly AdaptiveAvgPool2d _avgpool;
    private readonly Linear _fc;
    private readonly Pipeline _layers;

    public IReadOnlyList<RegNetStageSpec> Stages { get; }
    public int StemWidth { get; }

    public RegNetModel(IReadOnlyList<RegNetStageSpec> stages, int classes, int stemWidth = RegNet.DefaultStemWidth,
        double seRatio = 0, BlockKind block = BlockKind.ResNeXt, bool zeroInitFinalGamma = false)
    {
        if (stages.Count == 0) throw new ArgumentException("a RegNet needs at least one stage");
        Stages = stages; StemWidth = stemWidth;
        // SimpleStemIN = Conv2dNormActivation(3×3, stride 2, padding 1, no bias) + BatchNorm2d + ReLU
        _stem = AddChild("stem", new Chain("SimpleStemIN")
            .Add(Conv2d.Lazy(stemWidth, 3, stride: 2, padding: 1, bias: false)).Add(new BatchNorm2d()).Add(new ReLU()));
        _trunk = AddChild("trunk_output", new Sequential());
        int width = stemWidth;
        for (int i = 0; i < stages.Count; i++)
        {
            var s = stages[i];
            var stage = new Chain("AnyStage");
            for (int j = 0; j < s.Depth; j++)
            {
                int widthIn = j == 0 ? width : s.Width, stride = j == 0 ? 2 : 1;
                stage.Add($"block{i + 1}-{j}", block == BlockKind.ResNet
                    ? new ResBasicBlock(widthIn, s.Width, stride, zeroInitFinalGamma)
                    : new ResBottleneckBlock(widthIn, s.Width, stride, s.GroupWidth, s.BottleneckMultiplier, seRatio, zeroInitFinalGamma));
            }
            _trunk.Add($"block{i + 1}", stage);
            width = s.Width;
        }
        _avgpool = AddChild("avgpool", new AdaptiveAvgPool2d(1));
        _fc = AddChild("fc", Linear.Lazy(classes));
        _layers = new Pipeline().Then(_stem).Then(_trunk).Then(_avgpool).Then("flatten", h => F.Flatten(h, 1)).Then(_fc);
    }

    /// <summary>fc(flatten(avgpool(trunk_output(stem(x))))), as torchvision's RegNet.forward.</summary>
    protected override Tensor ForwardImpl(Tensor x) => _layers.Run(x);
}

/// <summary>
/// torchvision's (and pycls's res_bottleneck_block) residual bottleneck: x' + F(x), F = 1×1 → grouped 3×3 (stride) →
/// [SE] → 1×1, every convolution without bias and followed by batch norm (ReLU after the first two); x' is x, or a 1×1
/// stride-s convolution + BN when the width or the resolution changes. Children: proj, f (a, b, se, c), activation.
/// </summary>
public sealed class ResBottleneckBlock : Module
{
    private readonly Chain _f;
    private readonly Pipeline _shortcut;
    private readonly ReLU _activation;

    /// <summary>The batch norm closing the residual branch (pycls's c_bn.final_bn), zeroed by ZERO_INIT_FINAL_GAMMA.</summary>
    public BatchNorm2d FinalNorm { get; }
    public bool ZeroInitFinalGamma { get; }

    public ResBottleneckBlock(int widthIn, int widthOut, int stride, int groupWidth, double bottleneckMultiplier = 1.0,
        double seRatio = 0, bool zeroInitFinalGamma = false)
    {
        int wB = (int)Math.Round(widthOut * bottleneckMultiplier, MidpointRounding.ToEven); // int(round(width_out * bm))
        if (wB < 1 || groupWidth < 1 || wB % groupWidth != 0)
            throw new ArgumentException($"bottleneck width {wB} is not a multiple of the group width {groupWidth}");
        ZeroInitFinalGamma = zeroInitFinalGamma;
        _shortcut = new Pipeline();
        if (widthIn != widthOut || stride != 1)
            _shortcut.Then(AddChild("proj", ConvNorm(widthOut, 1, stride, 1, relu: false)));
        _f = AddChild("f", new Chain("BottleneckTransform"));
        _f.Add("a", ConvNorm(wB, 1, 1, 1, relu: true));
        _f.Add("b", ConvNorm(wB, 3, stride, wB / groupWidth, relu: true));
        if (seRatio > 0)
        {
            int wSe = (int)Math.Round(seRatio * widthIn, MidpointRounding.ToEven); // int(round(se_ratio * width_in))
            _f.Add("se", new SqueezeExcitation(wB, Math.Max(1, wSe)));
        }
        var c = ConvNorm(widthOut, 1, 1, 1, relu: false);
        _f.Add("c", c);
        FinalNorm = (BatchNorm2d)c["1"];
        _activation = AddChild("activation", new ReLU());
    }

    /// <summary>torchvision's Conv2dNormActivation: conv (no bias, padding (k−1)/2) + BatchNorm2d [+ ReLU].</summary>
    internal static Chain ConvNorm(int channels, int kernel, int stride, int groups, bool relu)
    {
        var chain = new Chain("Conv2dNormActivation")
            .Add(Conv2d.Lazy(channels, kernel, stride, (kernel - 1) / 2, groups, bias: false)).Add(new BatchNorm2d());
        return relu ? chain.Add(new ReLU()) : chain;
    }

    /// <summary>activation(proj(x) + f(x)), as torchvision's ResBottleneckBlock.forward (see <see cref="ActivatedSum"/>).</summary>
    protected override Tensor ForwardImpl(Tensor x) => ActivatedSum(x, _f.Forward(x), _shortcut.Run(x), _activation);

    /// <summary>
    /// activation(shortcut + branch) of torchvision's residual blocks: one fused op (<see cref="F.AddReluConsuming"/>,
    /// over the branch's buffer) on real tensors; on meta tensors (a shape pass) the sum and then the activation module's
    /// own Forward, so an observer of forwards sees every module declared (as a <see cref="Pipeline"/>'s fused steps).
    /// </summary>
    internal static Tensor ActivatedSum(Tensor x, Tensor branch, Tensor shortcut, ReLU activation) =>
        branch.IsMeta || shortcut.IsMeta
            ? Then(Combine(x, branch, shortcut, Residual.ShortcutPlusBranch), activation.Forward)
            : Combine(x, branch, shortcut, Residual.ReluOfShortcutPlusBranch);
}

/// <summary>
/// pycls's res_basic_block (the plain ResNet block) under torchvision-style names, for the "de-ResNeXt-ify" exercise:
/// x' + F(x), F = 3×3 (stride) + BN + ReLU → 3×3 + BN. Children: proj, f (a, b), activation.
/// </summary>
public sealed class ResBasicBlock : Module
{
    private readonly Chain _f;
    private readonly Pipeline _shortcut;
    private readonly ReLU _activation;

    public BatchNorm2d FinalNorm { get; }
    public bool ZeroInitFinalGamma { get; }

    public ResBasicBlock(int widthIn, int widthOut, int stride, bool zeroInitFinalGamma = false)
    {
        ZeroInitFinalGamma = zeroInitFinalGamma;
        _shortcut = new Pipeline();
        if (widthIn != widthOut || stride != 1)
            _shortcut.Then(AddChild("proj", ResBottleneckBlock.ConvNorm(widthOut, 1, stride, 1, relu: false)));
        _f = AddChild("f", new Chain("BasicTransform"));
        _f.Add("a", ResBottleneckBlock.ConvNorm(widthOut, 3, stride, 1, relu: true));
        var b = ResBottleneckBlock.ConvNorm(widthOut, 3, 1, 1, relu: false);
        _f.Add("b", b);
        FinalNorm = (BatchNorm2d)b["1"];
        _activation = AddChild("activation", new ReLU());
    }

    /// <summary>activation(proj(x) + f(x)), as torchvision's ResBasicBlock.forward (see <see cref="ResBottleneckBlock.ActivatedSum"/>).</summary>
    protected override Tensor ForwardImpl(Tensor x) => ResBottleneckBlock.ActivatedSum(x, _f.Forward(x), _shortcut.Run(x), _activation);
}
