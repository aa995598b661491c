using NetBlocks.Nn;

namespace NetBlocks.Models;

/// <summary>One NiN block's first convolution: channels, kernel, stride, padding (d2l's nin_block arguments).</summary>
public sealed record NinBlockSpec(int Channels, int Kernel, int Stride, int Padding);

/// <summary>How NiN turns the last block's class maps into logits.</summary>
public enum NinHead
{
    /// <summary>d2l: AdaptiveAvgPool2d(1), Flatten (no parameters).</summary>
    GlobalAvgPool,
    /// <summary>Exercise 3: Flatten, LazyLinear(classes) over the last block's classes×H×W maps.</summary>
    FullyConnected,
}

/// <summary>
/// A NiN network (seed 004). Every stage is a list of NiN blocks followed by a max-pool (<see cref="PoolKernel"/>,
/// <see cref="PoolStride"/>); then Dropout, the classifier block (classes channels, 3×3, padding 1) and the head.
/// A NiN block is its first convolution + ReLU, then <see cref="MlpConvs"/> × (<see cref="MlpKernel"/>² convolution + ReLU)
/// (d2l: two 1×1). Everything sits flat in one Sequential, as d2l's NiN does, so the keys are d2l's (<c>0.0.weight</c>,
/// <c>7.4.bias</c>).
/// </summary>
public sealed record NinSpec(IReadOnlyList<IReadOnlyList<NinBlockSpec>> Stages, int PoolKernel = 3, int PoolStride = 2,
    int MlpConvs = Nin.DefaultMlpConvs, int MlpKernel = 1, NinHead Head = NinHead.GlobalAvgPool, float Dropout = 0.5f,
    string Body = "d2l", int WidthDivisor = 1, ModelInit Init = ModelInit.D2l) : IModelSpec
{
    public string Family => "nin";
    public Module Build(ModelOptions options) => Nin.Build(this, options);

    public string ToSpec()
    {
        var items = new List<string>();
        if (Body != "d2l") items.Add($"body={Body}");
        if (WidthDivisor != 1) items.Add($"div={WidthDivisor}");
        if (MlpConvs != Nin.DefaultMlpConvs) items.Add($"convs={MlpConvs}");
        if (MlpKernel != 1) items.Add($"mlpconv={MlpKernel}x{MlpKernel}");
        if (Head != NinHead.GlobalAvgPool) items.Add("head=fc");
        if (Dropout != 0.5f) items.Add($"dropout={SpecReader.Fmt(Dropout)}");
        if (Init != ModelInit.D2l) items.Add($"init={SpecReader.InitName(Init)}");
        return items.Count == 0 ? "nin" : "nin:" + string.Join(",", items);
    }
}

/// <summary>
/// The NiN family: d2l's NiN and the exercises' variants (1–3 MLP convolutions, 3×3 instead of 1×1, an FC head, and a
/// deeper family built like VGG-11/13/16/19).
/// </summary>
public static class Nin
{
    public const int DefaultMlpConvs = 2;

    /// <summary>d2l's NiN body: the AlexNet-sized first convolutions, each followed by MaxPool2d(3, 2).</summary>
    public static readonly IReadOnlyList<NinBlockSpec> D2lBlocks =
    [
        new(96, 11, 4, 0),
        new(256, 5, 1, 2),
        new(384, 3, 1, 1),
    ];

    /// <summary>d2l's NiN (seed 004).</summary>
    public static NinSpec D2l(int widthDivisor = 1) =>
        new([.. D2lBlocks.Select(b => (IReadOnlyList<NinBlockSpec>)[b with { Channels = Divide(b.Channels, widthDivisor) }])],
            WidthDivisor: widthDivisor);

    /// <summary>
    /// Exercise 6, "NiN built like VGG": VGG-<paramref name="depth"/>'s stages (Table 1: 64…512 channels, 1–4 layers per stage),
    /// each 3×3 convolution becoming a NiN block (3×3 conv + the MLP 1×1 convs), MaxPool2d(2, 2) between stages, and NiN's
    /// head (Dropout, a classes-channel NiN block, global average pooling) instead of VGG's three fully connected layers.
    /// </summary>
    public static NinSpec VggLike(int depth, int widthDivisor = 1) =>
        new([.. Vgg.Config(depth, widthDivisor).Select(b => (IReadOnlyList<NinBlockSpec>)[.. Enumerable.Repeat(new NinBlockSpec(b.Channels, 3, 1, 1), b.Convs)])],
            PoolKernel: 2, PoolStride: 2, Body: $"vgg{depth}", WidthDivisor: widthDivisor);

    private static int Divide(int channels, int divisor) =>
        channels / divisor >= 1 ? channels / divisor : throw new ArgumentException($"dividing {channels} channels by {divisor} leaves none");

    /// <summary>d2l's nin_block: conv(channels, kernel, stride, padding), ReLU, then mlpConvs × (conv(channels, mlpKernel), ReLU).</summary>
    public static Sequential Block(NinBlockSpec block, int mlpConvs = DefaultMlpConvs, int mlpKernel = 1)
    {
        var seq = new Sequential(Conv2d.Lazy(block.Channels, block.Kernel, block.Stride, block.Padding), new ReLU());
        for (int i = 0; i < mlpConvs; i++)
            seq.Add(Conv2d.Lazy(block.Channels, mlpKernel, padding: (mlpKernel - 1) / 2)).Add(new ReLU());
        return seq;
    }

    public static Sequential Build(NinSpec spec, ModelOptions options)
    {
        ModelZoo.Validate(options);
        if (spec.Stages.Count == 0) throw new ArgumentException("a NiN needs at least one stage");
        var net = new Sequential();
        foreach (var stage in spec.Stages)
        {
            foreach (var block in stage) net.Add(Block(block, spec.MlpConvs, spec.MlpKernel));
            net.Add(new MaxPool2d(spec.PoolKernel, spec.PoolStride));
        }
        net.Add(new Dropout(spec.Dropout));
        net.Add(Block(new NinBlockSpec(options.Classes, 3, 1, 1), spec.MlpConvs, spec.MlpKernel));
        if (spec.Head == NinHead.GlobalAvgPool) net.Add(new AdaptiveAvgPool2d(1)).Add(new Flatten());
        else net.Add(new Flatten()).Add(Linear.Lazy(options.Classes));
        return net;
    }

    internal const string Grammar =
        "grammar (nin): nin[:convs=<0..8>][,mlpconv=1x1|3x3|5x5][,head=gap|fc][,body=d2l|vgg11|vgg13|vgg16|vgg19][,div=<k>][,dropout=<p>][,init=d2l|pycls|default]\n" +
        "  e.g. nin:convs=3   nin:mlpconv=3x3   nin:head=fc   nin:body=vgg16,div=4   presets: nin, nin-deep11|13|16|19[/<k>]";

    internal static NinSpec Parse(SpecReader r, NinSpec? baseSpec, List<SpecItem> items)
    {
        r.Grammar = Grammar;
        var spec = baseSpec ?? D2l();
        string body = spec.Body;
        int divisor = spec.WidthDivisor, bodyAt = 0, divisorAt = 0;
        bool rebuild = false;
        foreach (var item in items)
        {
            switch (item.IsOption ? item.Key : "")
            {
                case "convs": spec = spec with { MlpConvs = r.Int(item.Value, item.ValuePosition, "convs (MLP convolutions per block)", 0, 8) }; break;
                case "mlpconv":
                    spec = spec with
                    {
                        MlpKernel = r.Choice(item.Value, item.ValuePosition, "mlpconv (kernel of the MLP convolutions)", ("1x1", 1), ("3x3", 3), ("5x5", 5)),
                    };
                    break;
                case "head": spec = spec with { Head = r.Choice(item.Value, item.ValuePosition, "head", ("gap", NinHead.GlobalAvgPool), ("fc", NinHead.FullyConnected)) }; break;
                case "body":
                    body = r.Choice(item.Value, item.ValuePosition, "body", ("d2l", "d2l"), ("vgg11", "vgg11"), ("vgg13", "vgg13"), ("vgg16", "vgg16"), ("vgg19", "vgg19"));
                    bodyAt = item.ValuePosition; rebuild = true;
                    break;
                case "div":
                    divisor *= r.Int(item.Value, item.ValuePosition, "div (width divisor)", 1, 1 << 16);
                    divisorAt = item.ValuePosition; rebuild = true;
                    break;
                case "dropout": spec = spec with { Dropout = (float)r.Double(item.Value, item.ValuePosition, "dropout", 0, 1) }; break;
                case "init": spec = spec with { Init = r.Init(item) }; break;
                default:
                    if (item.Text.Length == 0) throw r.Error(item.Position, "empty item");
                    throw r.UnknownOption(item, "nin", "convs", "mlpconv", "head", "body", "div", "dropout", "init");
            }
        }
        if (!rebuild) return spec;
        NinSpec shape;
        try { shape = body == "d2l" ? D2l(divisor) : VggLike(int.Parse(body[3..], System.Globalization.CultureInfo.InvariantCulture), divisor); }
        catch (ArgumentException e) { throw r.Error(divisorAt > 0 ? divisorAt : bodyAt, e.Message); }
        return spec with
        {
            Stages = shape.Stages, PoolKernel = shape.PoolKernel, PoolStride = shape.PoolStride, Body = shape.Body,
            WidthDivisor = shape.WidthDivisor,
        };
    }
}
