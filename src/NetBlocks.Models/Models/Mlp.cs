using NetBlocks.Nn;

namespace NetBlocks.Models;

/// <summary>
/// The hidden layers' nonlinearity of an MLP. The engine has ReLU and sigmoid (Functional/Relu.cs, Sigmoid.cs); tanh and
/// GELU have no kernels here, so they are not offered.
/// </summary>
public enum MlpActivation
{
    Relu,
    Sigmoid,
}

/// <summary>
/// A multilayer perceptron (d2l's MLP, chapter 5): Flatten → [LazyLinear(w_i) → activation] for every hidden width →
/// LazyLinear(classes). Everything sits flat in one Sequential, as d2l's <c>nn.Sequential(nn.Flatten(), nn.LazyLinear(256),
/// nn.ReLU(), nn.LazyLinear(10))</c>, so the keys are PyTorch's (<c>1.weight</c>, <c>3.bias</c>).
/// </summary>
public sealed record MlpSpec(IReadOnlyList<int> HiddenWidths, MlpActivation Activation = MlpActivation.Relu,
    ModelInit Init = ModelInit.D2l) : IModelSpec
{
    public string Family => "mlp";
    public Module Build(ModelOptions options) => Mlp.Build(this, options);

    public string ToSpec()
    {
        var items = new List<string>(HiddenWidths.Select(w => w.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (Activation != MlpActivation.Relu) items.Add("act=" + Mlp.ActivationName(Activation));
        if (Init != ModelInit.D2l) items.Add($"init={SpecReader.InitName(Init)}");
        return "mlp:" + string.Join(",", items);
    }
}

/// <summary>The MLP family: builder and spec parser (<c>mlp:256,128,act=sigmoid</c>).</summary>
public static class Mlp
{
    /// <summary>The largest hidden width a spec may ask for (a 2^20-wide layer at 28×28 is already 0.8 G parameters).</summary>
    public const int MaxWidth = 1 << 20;

    public static Sequential Build(MlpSpec spec, ModelOptions options)
    {
        ModelZoo.Validate(options);
        if (spec.HiddenWidths.Count == 0) throw new ArgumentException("an MLP needs at least one hidden layer, e.g. mlp:256");
        var net = new Sequential(new Flatten());
        foreach (var w in spec.HiddenWidths)
        {
            if (w < 1) throw new ArgumentException($"an MLP's hidden widths must be positive, got {w}");
            net.Add(Linear.Lazy(w)).Add(spec.Activation == MlpActivation.Sigmoid ? new Sigmoid() : new ReLU());
        }
        return net.Add(Linear.Lazy(options.Classes));
    }

    public static string ActivationName(MlpActivation a) => a == MlpActivation.Sigmoid ? "sigmoid" : "relu";

    internal const string Grammar =
        "grammar (mlp): mlp:<hidden width>[,<hidden width>…][,act=relu|sigmoid][,init=d2l|pycls|default]\n" +
        "  e.g. mlp:256 (d2l's MLP), mlp:512,256,act=sigmoid; Flatten, then Linear + activation per hidden width, then Linear(classes)";

    internal static MlpSpec Parse(SpecReader r, List<SpecItem> items, int end)
    {
        r.Grammar = Grammar;
        var widths = new List<int>();
        var spec = new MlpSpec([]);
        foreach (var item in items)
        {
            if (!item.IsOption)
            {
                if (item.Text.Length == 0) throw r.Error(item.Position, "empty item");
                widths.Add(r.Int(item.Text, item.Position, "a hidden width", 1, MaxWidth));
                continue;
            }
            switch (item.Key)
            {
                case "act": spec = spec with { Activation = r.Choice(item.Value, item.ValuePosition, "act", ("relu", MlpActivation.Relu), ("sigmoid", MlpActivation.Sigmoid)) }; break;
                case "init": spec = spec with { Init = r.Init(item) }; break;
                default: throw r.UnknownOption(item, "mlp", "act", "init");
            }
        }
        if (widths.Count == 0) throw r.Error(end, "an MLP needs at least one hidden width, e.g. mlp:256");
        return spec with { HiddenWidths = widths };
    }
}
