using System.Globalization;
using NetBlocks.Nn;

namespace NetBlocks.Models;

/// <summary>Which residual block a stage is made of.</summary>
public enum BlockKind
{
    /// <summary>The ResNeXt bottleneck (1×1, grouped 3×3, 1×1): d2l's ResNeXtBlock / pycls's res_bottleneck_block.</summary>
    ResNeXt,
    /// <summary>The plain ResNet block (two 3×3): d2l's Residual / pycls's res_basic_block. Group width and bottleneck are ignored.</summary>
    ResNet,
}

/// <summary>
/// One AnyNet stage (d2l's <c>stage(depth, num_channels, groups, bot_mul)</c>): <see cref="Depth"/> blocks of
/// <see cref="Width"/> channels, the first with a projection and stride 2. <see cref="GroupWidth"/> is d2l's <c>groups</c>
/// argument, the channels per group of the 3×3 convolution (the bottleneck round(width·b) must be a multiple of it).
/// </summary>
public sealed record AnyNetStageSpec(int Depth, int Width, int GroupWidth, double BottleneckMultiplier = 1.0)
{
    public int BottleneckWidth => (int)Math.Round(Width * BottleneckMultiplier, MidpointRounding.ToEven);
}

/// <summary>
/// d2l's AnyNet (seed 003): stem (LazyConv2d(stem, 3, stride 2, padding 1), BatchNorm2d, ReLU), stages <c>stage1</c>,
/// <c>stage2</c>, …, head (AdaptiveAvgPool2d(1), Flatten, LazyLinear(classes)). Keys are d2l's: the stem is child
/// <c>0</c> of the network (<c>0.0.weight</c>), then <c>stage1.0.conv1.weight</c>, …, <c>head.2.weight</c>.
/// </summary>
public sealed record AnyNetSpec(int StemChannels, IReadOnlyList<AnyNetStageSpec> Stages, BlockKind Block = BlockKind.ResNeXt,
    ModelInit Init = ModelInit.D2l) : IModelSpec
{
    public string Family => "anynet";
    public Module Build(ModelOptions options) => AnyNet.Build(this, options);

    public string ToSpec()
    {
        var items = new List<string> { $"stem={StemChannels}" };
        items.AddRange(Stages.Select(AnyNet.Format));
        if (Block != BlockKind.ResNeXt) items.Add("block=resnet");
        if (Init != ModelInit.D2l) items.Add($"init={SpecReader.InitName(Init)}");
        return "anynet:" + string.Join(",", items);
    }
}

public static class AnyNet
{
    public const int DefaultStemChannels = 32;

    /// <summary>d2l's RegNetX32: stem 32, stages (4, 32, 16, 1) and (6, 80, 16, 1).</summary>
    public static AnyNetSpec RegNetX32 => new(DefaultStemChannels, [new(4, 32, 16), new(6, 80, 16)]);

    /// <summary>d2l's stem: LazyConv2d(channels, 3, stride 2, padding 1), LazyBatchNorm2d, ReLU.</summary>
    public static Sequential Stem(int channels) =>
        new(Conv2d.Lazy(channels, 3, stride: 2, padding: 1), new BatchNorm2d(), new ReLU());

    /// <summary>d2l's stage: the first block projects and halves the resolution, the others keep the shape.</summary>
    public static Sequential Stage(AnyNetStageSpec stage, BlockKind block = BlockKind.ResNeXt)
    {
        var seq = new Sequential();
        for (int i = 0; i < stage.Depth; i++)
        {
            bool first = i == 0;
            seq.Add(block == BlockKind.ResNet
                ? new ResNetBlock(stage.Width, useProjection: first, stride: first ? 2 : 1)
                : new ResNeXtBlock(stage.Width, stage.GroupWidth, stage.BottleneckMultiplier, useProjection: first, stride: first ? 2 : 1));
        }
        return seq;
    }

    public static Sequential Build(AnyNetSpec spec, ModelOptions options)
    {
        ModelZoo.Validate(options);
        if (spec.Stages.Count == 0) throw new ArgumentException("an AnyNet needs at least one stage");
        var net = new Sequential(Stem(spec.StemChannels));
        for (int i = 0; i < spec.Stages.Count; i++)
            net.Add($"stage{i + 1}", Stage(spec.Stages[i], spec.Block));
        net.Add("head", new Sequential(new AdaptiveAvgPool2d(1), new Flatten(), Linear.Lazy(options.Classes)));
        return net;
    }

    internal static string Format(AnyNetStageSpec s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Depth}x{s.Width}g{s.GroupWidth}b{SpecReader.Fmt(s.BottleneckMultiplier)}");

    internal const string Grammar =
        "grammar (anynet): anynet:[stem=<channels>,]<depth>x<width>[g<group width>][b<bottleneck multiplier>][,…][,block=resnext|resnet][,init=d2l|pycls|default]\n" +
        "  e.g. anynet:stem=32,4x32g16b1,6x80g16b1 (d2l's RegNetX32); g defaults to the bottleneck width (one group), b to 1";

    internal static AnyNetSpec Parse(SpecReader r, AnyNetSpec? baseSpec, List<SpecItem> items, int end)
    {
        r.Grammar = Grammar;
        var spec = baseSpec ?? new AnyNetSpec(DefaultStemChannels, []);
        var stages = new List<AnyNetStageSpec>();
        foreach (var item in items)
        {
            if (!item.IsOption)
            {
                if (item.Text.Length == 0) throw r.Error(item.Position, "empty item");
                stages.Add(ParseStage(r, item));
                continue;
            }
            switch (item.Key)
            {
                case "stem": spec = spec with { StemChannels = r.Int(item.Value, item.ValuePosition, "stem (channels)", 1, 1 << 16) }; break;
                case "block": spec = spec with { Block = r.Choice(item.Value, item.ValuePosition, "block", ("resnext", BlockKind.ResNeXt), ("resnet", BlockKind.ResNet)) }; break;
                case "init": spec = spec with { Init = r.Init(item) }; break;
                default: throw r.UnknownOption(item, "anynet", "stem", "block", "init");
            }
        }
        if (stages.Count > 0) spec = spec with { Stages = stages };
        if (spec.Stages.Count == 0) throw r.Error(end, "an AnyNet needs stages, e.g. anynet:stem=32,4x32g16b1,6x80g16b1");
        return spec;
    }

    /// <summary>&lt;depth&gt;x&lt;width&gt;[g&lt;group width&gt;][b&lt;bottleneck multiplier&gt;], each number checked where it stands.</summary>
    private static AnyNetStageSpec ParseStage(SpecReader r, SpecItem item)
    {
        var t = item.Text;
        int x = t.IndexOf('x');
        if (x <= 0) throw r.Error(item.Position, $"'{t}' is not a stage <depth>x<width>[g<group width>][b<bottleneck multiplier>]");
        int depth = r.Int(t[..x], item.Position, "the stage depth", 1, 1024);
        int g = t.IndexOf('g', x), b = t.IndexOf('b', x);
        int widthEnd = g > 0 ? g : b > 0 ? b : t.Length;
        if (b > 0 && g > b) throw r.Error(item.Position + g, "write the group width before the bottleneck: <depth>x<width>g<group width>b<multiplier>");
        int width = r.Int(t[(x + 1)..widthEnd], item.Position + x + 1, "the stage width", 1, 1 << 16);
        double mul = b > 0 ? r.Double(t[(b + 1)..], item.Position + b + 1, "the bottleneck multiplier", 0, 64, minExclusive: true) : 1.0;
        var stage = new AnyNetStageSpec(depth, width, 0, mul);
        if (stage.BottleneckWidth < 1) throw r.Error(item.Position + b + 1, $"the bottleneck round({width}·{SpecReader.Fmt(mul)}) has no channels");
        int groupWidth = stage.BottleneckWidth;
        if (g > 0)
        {
            int gEnd = b > 0 ? b : t.Length;
            groupWidth = r.Int(t[(g + 1)..gEnd], item.Position + g + 1, "the group width", 1, 1 << 16);
            if (stage.BottleneckWidth % groupWidth != 0)
                throw r.Error(item.Position + g + 1, $"the group width {groupWidth} does not divide the bottleneck width {stage.BottleneckWidth} = round({width}·{SpecReader.Fmt(mul)})");
        }
        return stage with { GroupWidth = groupWidth };
    }
}
