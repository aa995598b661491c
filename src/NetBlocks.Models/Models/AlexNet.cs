using NetBlocks.Nn;

namespace NetBlocks.Models;

/// <summary>One AlexNet convolution (+ ReLU), optionally followed by MaxPool2d(3, 2).</summary>
public sealed record AlexNetConvSpec(int Channels, int Kernel, int Stride, int Padding, bool PoolAfter);

/// <summary>d2l's AlexNet: five convolutions, then Flatten and the two 4096-unit layers with dropout, then the classifier.</summary>
public sealed record AlexNetSpec(int HiddenUnits = Vgg.DefaultHiddenUnits, float Dropout = Vgg.DefaultDropout, ModelInit Init = ModelInit.D2l) : IModelSpec
{
    public string Family => "alexnet";
    public Module Build(ModelOptions options) => AlexNet.Build(this, options);

    public string ToSpec()
    {
        var items = new List<string>();
        if (HiddenUnits != Vgg.DefaultHiddenUnits) items.Add($"fc={HiddenUnits}");
        if (Dropout != Vgg.DefaultDropout) items.Add($"dropout={SpecReader.Fmt(Dropout)}");
        if (Init != ModelInit.D2l) items.Add($"init={SpecReader.InitName(Init)}");
        return items.Count == 0 ? "alexnet" : "alexnet:" + string.Join(",", items);
    }
}

public static class AlexNet
{
    /// <summary>d2l's feature extractor (padding 1 on the first convolution, as d2l writes it for 224×224 Fashion-MNIST).</summary>
    public static readonly IReadOnlyList<AlexNetConvSpec> Features =
    [
        new(96, 11, 4, 1, PoolAfter: true),
        new(256, 5, 1, 2, PoolAfter: true),
        new(384, 3, 1, 1, PoolAfter: false),
        new(384, 3, 1, 1, PoolAfter: false),
        new(256, 3, 1, 1, PoolAfter: true),
    ];

    /// <summary>One flat Sequential, as d2l's: keys 0.weight, 3.weight, … 20.weight.</summary>
    public static Sequential Build(AlexNetSpec spec, ModelOptions options)
    {
        ModelZoo.Validate(options);
        var net = new Sequential();
        foreach (var c in Features)
        {
            net.Add(Conv2d.Lazy(c.Channels, c.Kernel, c.Stride, c.Padding)).Add(new ReLU());
            if (c.PoolAfter) net.Add(new MaxPool2d(3, 2));
        }
        net.Add(new Flatten());
        net.Add(Linear.Lazy(spec.HiddenUnits)).Add(new ReLU()).Add(new Dropout(spec.Dropout));
        net.Add(Linear.Lazy(spec.HiddenUnits)).Add(new ReLU()).Add(new Dropout(spec.Dropout));
        net.Add(Linear.Lazy(options.Classes));
        return net;
    }

    internal const string Grammar = "grammar (alexnet): alexnet[:fc=<units>][,dropout=<p>][,init=d2l|pycls|default]";

    internal static AlexNetSpec Parse(SpecReader r, AlexNetSpec? baseSpec, List<SpecItem> items)
    {
        r.Grammar = Grammar;
        var spec = baseSpec ?? new AlexNetSpec();
        foreach (var item in items)
        {
            switch (item.IsOption ? item.Key : "")
            {
                case "fc": spec = spec with { HiddenUnits = r.Int(item.Value, item.ValuePosition, "fc (hidden units)", 1, 1 << 20) }; break;
                case "dropout": spec = spec with { Dropout = (float)r.Double(item.Value, item.ValuePosition, "dropout", 0, 1) }; break;
                case "init": spec = spec with { Init = r.Init(item) }; break;
                default:
                    if (item.Text.Length == 0) throw r.Error(item.Position, "empty item");
                    throw r.UnknownOption(item, "alexnet", "fc", "dropout", "init");
            }
        }
        return spec;
    }
}
