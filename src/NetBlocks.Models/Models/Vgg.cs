using System.Globalization;
using NetBlocks.Nn;

namespace NetBlocks.Models;

/// <summary>One VGG block: <see cref="Convs"/> × (3×3 convolution, padding 1, to <see cref="Channels"/>) then 2×2 max-pooling.</summary>
public sealed record VggBlockSpec(int Convs, int Channels);

/// <summary>
/// A VGG network (seed 000): the blocks, then Flatten, Linear(hidden), ReLU, Dropout, Linear(hidden), ReLU, Dropout,
/// Linear(classes). With <see cref="BatchNorm"/> every convolution is followed by a BatchNorm2d (torchvision's vgg*_bn order:
/// conv, batch norm, ReLU).
/// </summary>
public sealed record VggSpec(IReadOnlyList<VggBlockSpec> Blocks, bool BatchNorm = false, int HiddenUnits = Vgg.DefaultHiddenUnits,
    float Dropout = Vgg.DefaultDropout, ModelInit Init = ModelInit.D2l) : IModelSpec
{
    public string Family => "vgg";
    public Module Build(ModelOptions options) => Vgg.Build(this, options);

    public string ToSpec()
    {
        var items = Blocks.Select(b => $"{b.Convs}x{b.Channels}").ToList();
        if (HiddenUnits != Vgg.DefaultHiddenUnits) items.Add($"fc={HiddenUnits}");
        if (Dropout != Vgg.DefaultDropout) items.Add($"dropout={SpecReader.Fmt(Dropout)}");
        if (Init != ModelInit.D2l) items.Add($"init={SpecReader.InitName(Init)}");
        return (BatchNorm ? "vgg-bn:" : "vgg:") + string.Join(",", items);
    }
}

/// <summary>The VGG family: configurations from the paper's Table 1 and d2l's builder (Sequential indices as state-dict keys).</summary>
public static class Vgg
{
    public const int DefaultHiddenUnits = 4096;
    public const float DefaultDropout = 0.5f;

    /// <summary>The paper's block widths: 64 doubling up to 512.</summary>
    private static readonly int[] Widths = [64, 128, 256, 512, 512];

    /// <summary>Convolutions per block in the paper's Table 1: A = VGG-11, B = VGG-13, D = VGG-16, E = VGG-19.</summary>
    private static readonly Dictionary<int, int[]> ConvsPerBlock = new()
    {
        [11] = [1, 1, 2, 2, 2],
        [13] = [2, 2, 2, 2, 2],
        [16] = [2, 2, 3, 3, 3],
        [19] = [2, 2, 4, 4, 4],
    };

    public static IReadOnlyList<int> Depths => [.. ConvsPerBlock.Keys];

    /// <summary>The blocks of VGG-<paramref name="depth"/> (11, 13, 16 or 19), optionally with every width divided (seed 002's ratio).</summary>
    public static IReadOnlyList<VggBlockSpec> Config(int depth, int widthDivisor = 1)
    {
        if (!ConvsPerBlock.TryGetValue(depth, out var convs))
            throw new ArgumentException($"VGG-{depth} is not in the paper's Table 1 (known: {string.Join(", ", Depths)})");
        return Divide([.. convs.Select((c, i) => new VggBlockSpec(c, Widths[i]))], widthDivisor);
    }

    /// <summary>Every block's width floor-divided by <paramref name="divisor"/>, as seed 002's <c>pair[1] // ratio</c>.</summary>
    public static IReadOnlyList<VggBlockSpec> Divide(IReadOnlyList<VggBlockSpec> blocks, int divisor)
    {
        if (divisor < 1) throw new ArgumentException($"width divisor must be at least 1, got {divisor}");
        var divided = blocks.Select(b => b with { Channels = b.Channels / divisor }).ToArray();
        if (divided.FirstOrDefault(b => b.Channels < 1) is { } empty)
            throw new ArgumentException($"dividing the widths by {divisor} leaves a block without channels");
        return divided;
    }

    /// <summary>d2l's vgg_block: convs × (LazyConv2d(channels, 3, padding 1) [, BatchNorm2d], ReLU), MaxPool2d(2, 2).</summary>
    public static Sequential Block(VggBlockSpec block, bool batchNorm = false)
    {
        var seq = new Sequential();
        for (int i = 0; i < block.Convs; i++)
        {
            seq.Add(Conv2d.Lazy(block.Channels, kernelSize: 3, padding: 1));
            if (batchNorm) seq.Add(new BatchNorm2d());
            seq.Add(new ReLU());
        }
        seq.Add(new MaxPool2d(2, 2));
        return seq;
    }

    /// <summary>d2l's VGG: blocks, Flatten, (LazyLinear(hidden), ReLU, Dropout) × 2, LazyLinear(classes).</summary>
    public static Sequential Build(VggSpec spec, ModelOptions options)
    {
        ModelZoo.Validate(options);
        if (spec.Blocks.Count == 0) throw new ArgumentException("a VGG needs at least one block");
        var net = new Sequential();
        foreach (var block in spec.Blocks) net.Add(Block(block, spec.BatchNorm));
        net.Add(new Flatten());
        net.Add(Linear.Lazy(spec.HiddenUnits)).Add(new ReLU()).Add(new Dropout(spec.Dropout));
        net.Add(Linear.Lazy(spec.HiddenUnits)).Add(new ReLU()).Add(new Dropout(spec.Dropout));
        net.Add(Linear.Lazy(options.Classes));
        return net;
    }

    internal const string Grammar =
        "grammar (vgg): vgg[-bn]:<convs>x<channels>[,<convs>x<channels>…][,fc=<units>][,dropout=<p>][,div=<k>][,init=d2l|pycls|default]\n" +
        "  e.g. vgg:1x16,1x32,2x64,2x128,2x128   presets: vgg11|vgg13|vgg16|vgg19[-bn][/<k>] (k divides every width)";

    /// <summary>Reads the items of a vgg spec over <paramref name="baseSpec"/> (a preset) or from scratch.</summary>
    internal static VggSpec Parse(SpecReader r, VggSpec? baseSpec, bool batchNorm, List<SpecItem> items, int end)
    {
        r.Grammar = Grammar;
        var blocks = new List<VggBlockSpec>();
        var spec = baseSpec ?? new VggSpec([], batchNorm);
        if (batchNorm) spec = spec with { BatchNorm = true };
        int divisor = 1, divisorAt = end;
        foreach (var item in items)
        {
            if (!item.IsOption)
            {
                int x = item.Text.IndexOf('x');
                if (item.Text.Length == 0) throw r.Error(item.Position, "empty item");
                if (x <= 0 || x == item.Text.Length - 1)
                    throw r.Error(item.Position, item.Text == "bn" ? "write the batch-norm variant as vgg-bn:… or vgg11-bn" : $"'{item.Text}' is not a block <convs>x<channels>");
                int convs = r.Int(item.Text[..x], item.Position, "the number of convolutions", 1, 64);
                int channels = r.Int(item.Text[(x + 1)..], item.Position + x + 1, "the number of channels", 1, 1 << 16);
                blocks.Add(new VggBlockSpec(convs, channels));
                continue;
            }
            switch (item.Key)
            {
                case "fc": spec = spec with { HiddenUnits = r.Int(item.Value, item.ValuePosition, "fc (hidden units)", 1, 1 << 20) }; break;
                case "dropout": spec = spec with { Dropout = (float)r.Double(item.Value, item.ValuePosition, "dropout", 0, 1) }; break;
                case "div": divisor = r.Int(item.Value, item.ValuePosition, "div (width divisor)", 1, 1 << 16); divisorAt = item.ValuePosition; break;
                case "init": spec = spec with { Init = r.Init(item) }; break;
                default: throw r.UnknownOption(item, "vgg", "fc", "dropout", "div", "init");
            }
        }
        if (blocks.Count > 0) spec = spec with { Blocks = blocks };
        if (spec.Blocks.Count == 0) throw r.Error(end, "a VGG needs blocks, e.g. vgg:1x64,1x128,2x256,2x512,2x512");
        if (divisor != 1)
        {
            try { spec = spec with { Blocks = Divide(spec.Blocks, divisor) }; }
            catch (ArgumentException e) { throw r.Error(divisorAt, e.Message); }
        }
        return spec;
    }

    internal static string Name(int depth, bool bn) => string.Create(CultureInfo.InvariantCulture, $"vgg{depth}{(bn ? "-bn" : "")}");
}
