using System.Collections.Concurrent;
using System.Globalization;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Models;

/// <summary>
/// A named model: its family, a one-line description, d2l's input resolution (C, H, W) and learning rate.
/// <see cref="Spec"/> is the canonical spec string it stands for; <see cref="Initialize"/> applies the family's
/// weight initialisation to the materialised model.
/// </summary>
public sealed record ModelPreset(string Name, string Family, string Description, int[] DefaultInput, float DefaultLearningRate)
{
    /// <summary>The canonical spec (e.g. vgg11/4 → <c>vgg:1x16,1x32,2x64,2x128,2x128</c>).</summary>
    public string Spec { get; init; } = "";

    /// <summary>The initialisation applied after materialisation (d2l's Xavier for the d2l families, pycls's for RegNet).</summary>
    public ModelInit Init { get; init; } = ModelInit.D2l;

    /// <summary>Applies <see cref="Init"/> to a materialised model (random numbers from RandomGenerator.Default).</summary>
    public void Initialize(Module model) => ModelInitializers.Apply(model, Init);
}

/// <summary>
/// The presets and specs of every family. A name is a preset (<c>vgg11</c>, <c>nin</c>, <c>regnetx-400mf</c>, see
/// <see cref="Presets"/>) or a spec <c>head[:item,item,…]</c> whose head is a preset (the items then modify it:
/// <c>regnetx32:block=resnet</c>, <c>nin:convs=3</c>, <c>regnetx-400mf:rounding=torchvision</c>) or a family
/// (<c>vgg:</c>, <c>vgg-bn:</c>, <c>nin:</c>, <c>alexnet:</c>, <c>anynet:</c>, <c>regnet:</c>). Items are separated by ',' or ';'.
/// VGG and NiN heads take a width divisor: <c>vgg16/4</c> = <c>vgg16:div=4</c>. Every family accepts
/// <c>init=d2l|pycls|default</c>. See src/NetBlocks.Models/Models/README.md for each family's grammar.
/// </summary>
public static class ModelZoo
{
    private sealed record Entry(ModelPreset Preset, IModelSpec Spec);

    /// <summary>The family names a spec may start with.</summary>
    public static IReadOnlyList<string> Families { get; } = ["vgg", "vgg-bn", "nin", "alexnet", "anynet", "regnet", "mlp"];

    private static readonly int[] FashionMnist224 = [1, 224, 224];
    private static readonly int[] FashionMnist96 = [1, 96, 96];
    private static readonly int[] FashionMnist28 = [1, 28, 28];
    private static readonly int[] ImageNet224 = [3, 224, 224];

    /// <summary>pycls's published RegNet parameters (configs/dds_baselines/regnet{x,y}/*_dds_8gpu.yaml).</summary>
    private static readonly (string Name, RegNetParams Params, bool Se)[] PyclsRegNets =
    [
        ("regnetx-200mf", new(13, 24, 36.44, 2.49, 8), false),
        ("regnetx-400mf", new(22, 24, 24.48, 2.54, 16), false),
        ("regnetx-600mf", new(16, 48, 36.97, 2.24, 24), false),
        ("regnetx-800mf", new(16, 56, 35.73, 2.28, 16), false),
        ("regnetx-1.6gf", new(18, 80, 34.01, 2.25, 24), false),
        ("regnetx-3.2gf", new(25, 88, 26.31, 2.25, 48), false),
        ("regnety-200mf", new(13, 24, 36.44, 2.49, 8), true),
        ("regnety-400mf", new(16, 48, 27.89, 2.09, 8), true),
        ("regnety-600mf", new(15, 48, 32.54, 2.32, 16), true),
        ("regnety-800mf", new(14, 56, 38.84, 2.4, 16), true),
    ];

    /// <summary>The RegNets torchvision 0.14 ships, under its own names (torchvision rounding, same pycls parameters).</summary>
    private static readonly (string Name, string Pycls)[] TorchvisionRegNets =
    [
        ("regnet_x_400mf", "regnetx-400mf"), ("regnet_x_800mf", "regnetx-800mf"), ("regnet_x_1_6gf", "regnetx-1.6gf"),
        ("regnet_x_3_2gf", "regnetx-3.2gf"), ("regnet_y_400mf", "regnety-400mf"), ("regnet_y_800mf", "regnety-800mf"),
    ];

    // (declared after the tables above: static fields initialise in textual order)
    private static readonly List<Entry> Entries = [.. CreateEntries()];
    private static readonly ConcurrentDictionary<(string, int, int), int?> MinimumSizes = new();

    /// <summary>Every preset, in the order `netblocks models` lists them.</summary>
    public static IReadOnlyList<ModelPreset> Presets { get; } = [.. Entries.Select(e => e.Preset)];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive; vgg/nin presets also with a /k width divisor), or null.</summary>
    public static ModelPreset? Find(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains(':')) return null;
        if (FindEntry(name.Trim()) is { } e) return e.Preset;
        if (!name.Contains('/')) return null;
        try { return Resolve(name).Preset; }
        catch (Exception ex) when (ex is UnknownModelException or ModelSpecException) { return null; }
    }

    /// <summary>The preset for a name, or a description synthesised for a spec (its family's input size and learning rate).</summary>
    public static ModelPreset Describe(string nameOrSpec) => Resolve(nameOrSpec).Preset;

    /// <summary>The typed description behind a name or spec (VggSpec, NinSpec, AlexNetSpec, AnyNetSpec, RegNetSpec).</summary>
    public static IModelSpec Parse(string nameOrSpec) => Resolve(nameOrSpec).Spec;

    /// <summary>Builds a preset or a spec ("vgg:…", "anynet:…", "regnet:…", "nin:…"), unmaterialised (lazy).</summary>
    /// <exception cref="UnknownModelException">the name is neither a preset nor a family.</exception>
    /// <exception cref="ModelSpecException">the spec does not parse (the message points at the character).</exception>
    public static Module Create(string nameOrSpec, ModelOptions? options = null) =>
        Resolve(nameOrSpec).Spec.Build(options ?? new ModelOptions());

    /// <summary>
    /// Materialises for input (N, C, H, W) and applies the family's init (uses RandomGenerator.Default — seeded by caller).
    /// Without options the input's channel count is used and the class count is 10.
    /// </summary>
    /// <exception cref="ShapeException">the input does not fit; when it is too small, the message names the first layer
    /// whose output collapses and the smallest input that works.</exception>
    public static Module CreateBuilt(string nameOrSpec, int[] inputNchw, ModelOptions? options = null)
    {
        var (model, spec) = Materialize(nameOrSpec, inputNchw, options);
        ModelInitializers.Apply(model, spec.Init);
        return model;
    }

    /// <summary>
    /// Materialises for input (N, C, H, W) without the family's init: for sizing (parameters, MACs, memory), typically
    /// inside <see cref="ParameterDevice.Use"/>(meta), which allocates no weights. Errors as <see cref="CreateBuilt"/>.
    /// </summary>
    public static Module CreateSized(string nameOrSpec, int[] inputNchw, ModelOptions? options = null) =>
        Materialize(nameOrSpec, inputNchw, options).Model;

    private static (Module Model, IModelSpec Spec) Materialize(string nameOrSpec, int[] inputNchw, ModelOptions? options)
    {
        if (inputNchw is null || inputNchw.Length != 4 || inputNchw.Any(d => d < 1))
            throw new ArgumentException($"the input must be (N, C, H, W) with positive sizes, got {(inputNchw is null ? "null" : Shape(inputNchw))}", nameof(inputNchw));
        if (options is not null && options.InputChannels != inputNchw[1])
            throw new ArgumentException($"the input has {inputNchw[1]} channels but the options say {options.InputChannels}", nameof(inputNchw));
        var (preset, spec) = Resolve(nameOrSpec);
        var opts = options ?? new ModelOptions(InputChannels: inputNchw[1]);
        var model = spec.Build(opts);
        try
        {
            model.Build(inputNchw);
        }
        catch (ShapeException e)
        {
            int c = inputNchw[1], h = inputNchw[2], w = inputNchw[3];
            if (MinimumInputSize(spec, c, opts) is int min && (h < min || w < min))
                throw new ShapeException($"input {c}×{h}×{w} is too small for {preset.Name}: at layer {e.Message}; the smallest input that works is {min}×{min}", e);
            throw;
        }
        return (model, spec);
    }

    /// <summary>d2l's learning rate for a preset (seed 000: vgg11/4 0.01; 002: vgg19/4 0.02; 003: regnetx32 0.05; 004: nin 0.05), or the family's.</summary>
    public static float DefaultLearningRate(string nameOrSpec) => Resolve(nameOrSpec).Preset.DefaultLearningRate;

    /// <summary>(C, H, W): d2l's resolution (224 for VGG/NiN/AlexNet, 96 for the AnyNets), 3×224×224 for the ImageNet RegNets.</summary>
    public static int[] DefaultInput(string nameOrSpec) => [.. Resolve(nameOrSpec).Preset.DefaultInput];

    /// <summary>
    /// The smallest square input side that the model accepts with <paramref name="channels"/> channels, found with the
    /// shape pass (doubling, then bisection: a conv/pool network accepting s accepts every size above s), or null when
    /// nothing up to 8192 works.
    /// </summary>
    public static int? MinimumInputSize(string nameOrSpec, int channels = 1, ModelOptions? options = null) =>
        MinimumInputSize(Resolve(nameOrSpec).Spec, channels, options ?? new ModelOptions(InputChannels: channels));

    private static int? MinimumInputSize(IModelSpec spec, int channels, ModelOptions options) =>
        MinimumSizes.GetOrAdd((spec.ToSpec(), channels, options.Classes), _ =>
        {
            const int limit = 8192;
            // the probes are sized on the meta device: no weights allocated, no draws from RandomGenerator.Default
            using var meta = ParameterDevice.Use(Device.Meta);
            bool Fits(int s)
            {
                try { spec.Build(options).Build(1, channels, s, s); return true; }
                catch (ShapeException) { return false; }
            }
            int hi = 1;
            while (!Fits(hi)) { if (hi >= limit) return null; hi *= 2; }
            int lo = hi / 2; // lo fails (or is 0), hi fits
            while (hi - lo > 1)
            {
                int mid = (lo + hi) / 2;
                if (Fits(mid)) hi = mid; else lo = mid;
            }
            return hi;
        });

    internal static void Validate(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InputChannels < 1) throw new ArgumentException($"input channels must be at least 1, got {options.InputChannels}");
        if (options.Classes < 1) throw new ArgumentException($"the class count must be at least 1, got {options.Classes}");
    }

    // ------------------------------------------------------------------ resolution

    private static Entry? FindEntry(string name) =>
        Entries.Find(e => string.Equals(e.Preset.Name, name, StringComparison.OrdinalIgnoreCase));

    private static (ModelPreset Preset, IModelSpec Spec) Resolve(string nameOrSpec)
    {
        ArgumentNullException.ThrowIfNull(nameOrSpec);
        var text = nameOrSpec.Trim();
        if (text.Length == 0) throw new UnknownModelException("", null);
        if (FindEntry(text) is { } exact) return (exact.Preset, exact.Spec);

        int colon = text.IndexOf(':');
        string head = colon < 0 ? text : text[..colon];
        var items = colon < 0 ? [] : SpecReader.Items(text, colon + 1);
        int slash = head.IndexOf('/');
        string baseName = (slash < 0 ? head : head[..slash]).Trim().ToLowerInvariant();
        if (slash >= 0)
        {
            // "vgg16/4" is "vgg16:div=4": a synthetic item whose value sits right after the slash, for the carets
            var divisor = head[(slash + 1)..];
            items.Insert(0, new SpecItem("div=" + divisor, slash + 1 - "div=".Length));
        }
        int end = text.Length;
        var entry = FindEntry(baseName);
        string family = entry?.Spec.Family ?? baseName;
        var reader = new SpecReader(text, "");

        if (entry is null && !Families.Contains(baseName))
            throw new UnknownModelException(head.Trim(), Suggest(baseName));
        if (slash >= 0 && family is not ("vgg" or "vgg-bn" or "nin"))
            throw new ModelSpecException(text, slash, $"a width divisor /k applies to vgg and nin models, not to {family}", GrammarOf(family));
        if (entry is not null && items.Count == 0) return (entry.Preset, entry.Spec);

        IModelSpec spec = family switch
        {
            "vgg" or "vgg-bn" => Vgg.Parse(reader, entry?.Spec as VggSpec, baseName == "vgg-bn", items, end),
            "nin" => Nin.Parse(reader, entry?.Spec as NinSpec, items),
            "alexnet" => AlexNet.Parse(reader, entry?.Spec as AlexNetSpec, items),
            "anynet" => AnyNet.Parse(reader, entry?.Spec as AnyNetSpec, items, end),
            "regnet" => RegNet.Parse(reader, entry?.Spec as RegNetSpec, items, end),
            "mlp" => Mlp.Parse(reader, items, end),
            _ => throw new UnknownModelException(head, Suggest(baseName)),
        };
        var basis = entry?.Preset ?? FamilyDefaults(spec.Family);
        var preset = basis with
        {
            Name = text,
            DefaultInput = [.. basis.DefaultInput],
            Description = entry is null ? $"custom {spec.Family}: {spec.ToSpec()}" : $"{basis.Description}; modified: {spec.ToSpec()}",
            Spec = spec.ToSpec(),
            Init = spec.Init,
        };
        return (preset, spec);
    }

    private static string GrammarOf(string family) => family switch
    {
        "vgg" or "vgg-bn" => Vgg.Grammar,
        "nin" => Nin.Grammar,
        "alexnet" => AlexNet.Grammar,
        "anynet" => AnyNet.Grammar,
        "mlp" => Mlp.Grammar,
        _ => RegNet.Grammar,
    };

    /// <summary>Input and learning rate of a spec built from a family name (d2l's choices for the family's first network).</summary>
    private static ModelPreset FamilyDefaults(string family) => family switch
    {
        "vgg" => new ModelPreset("vgg", "vgg", "", FashionMnist224, 0.01f),
        "nin" => new ModelPreset("nin", "nin", "", FashionMnist224, 0.05f),
        "alexnet" => new ModelPreset("alexnet", "alexnet", "", FashionMnist224, 0.01f),
        "anynet" => new ModelPreset("anynet", "anynet", "", FashionMnist96, 0.05f),
        "mlp" => new ModelPreset("mlp", "mlp", "", FashionMnist28, 0.1f),
        _ => new ModelPreset("regnet", "regnet", "", ImageNet224, 0.1f),
    };

    /// <summary>The closest preset or family name by Levenshtein distance (first in list order on ties), if reasonably close.</summary>
    private static string? Suggest(string name)
    {
        var candidates = Entries.Select(e => e.Preset.Name).Concat(Families);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = EditDistance(name, c);
            if (d < bestDistance) { best = c; bestDistance = d; }
        }
        return bestDistance <= Math.Max(2, name.Length / 2) ? best : null;
    }

    internal static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    private static string Shape(int[] s) => "(" + string.Join(", ", s) + ")";

    // ------------------------------------------------------------------ the presets

    private static Entry Preset(string name, string description, int[] input, float lr, IModelSpec spec) =>
        new(new ModelPreset(name, spec.Family, description, [.. input], lr) { Spec = spec.ToSpec(), Init = spec.Init }, spec);

    private static IEnumerable<Entry> CreateEntries()
    {
        var tableLetter = new Dictionary<int, char> { [11] = 'A', [13] = 'B', [16] = 'D', [19] = 'E' };
        foreach (bool bn in new[] { false, true })
            foreach (int depth in Vgg.Depths)
                yield return Preset(Vgg.Name(depth, bn),
                    $"VGG-{depth}{(bn ? " with batch norm" : "")} (Simonyan & Zisserman, Table 1 configuration {tableLetter[depth]}), d2l's layout",
                    FashionMnist224, 0.01f, new VggSpec(Vgg.Config(depth), bn));
        yield return Preset("vgg11/4", "d2l's training VGG (seed 000): VGG-11 with every width divided by 4",
            FashionMnist224, 0.01f, new VggSpec(Vgg.Config(11, 4)));
        yield return Preset("vgg19/4", "the exercise's small VGG-19 (seed 002): VGG-19 with every width divided by 4",
            FashionMnist224, 0.02f, new VggSpec(Vgg.Config(19, 4)));

        yield return Preset("nin", "d2l's NiN (seed 004): three NiN blocks with max-pooling, a class-channel block, global average pooling",
            FashionMnist224, 0.05f, Nin.D2l());
        foreach (int depth in Vgg.Depths)
            yield return Preset($"nin-deep{depth}",
                $"NiN built like VGG-{depth} (seed 004 exercise 6): VGG-{depth}'s 3×3 layers as NiN blocks, 2×2 max-pooling, NiN's head",
                FashionMnist224, 0.05f, Nin.VggLike(depth));

        yield return Preset("alexnet", "d2l's AlexNet: five convolutions, two 4096-unit layers with dropout",
            FashionMnist224, 0.01f, new AlexNetSpec());

        var x32 = AnyNet.RegNetX32;
        yield return Preset("regnetx32", "d2l's 32-layer RegNetX (seed 003): AnyNet stem 32, stages (4, 32, g16, b1), (6, 80, g16, b1)",
            FashionMnist96, 0.05f, x32);
        yield return Preset("regnetx32-4stage",
            "exercise 1: a four-stage RegNetX for Fashion-MNIST keeping the principles (shared g16 and b1, widths and depths increasing)",
            FashionMnist96, 0.05f, x32 with { Stages = [new(1, 32, 16), new(2, 64, 16), new(4, 128, 16), new(6, 256, 16)] });
        yield return Preset("regnetx32-resnet", "exercise 2: RegNetX32 de-ResNeXt-ified, d2l's Residual blocks instead of ResNeXt blocks",
            FashionMnist96, 0.05f, x32 with { Block = BlockKind.ResNet });
        yield return Preset("vionet-width", "exercise 3, VioNet violating c_i ≤ c_i+1: RegNetX32 with decreasing widths (80, then 32)",
            FashionMnist96, 0.05f, x32 with { Stages = [new(4, 80, 16), new(6, 32, 16)] });
        yield return Preset("vionet-depth", "exercise 3, VioNet violating d_i ≤ d_i+1: RegNetX32 with decreasing depths (6, then 4)",
            FashionMnist96, 0.05f, x32 with { Stages = [new(6, 32, 16), new(4, 80, 16)] });
        yield return Preset("vionet-group", "exercise 3, VioNet violating a shared group width: RegNetX32 with g8 then g40",
            FashionMnist96, 0.05f, x32 with { Stages = [new(4, 32, 8), new(6, 80, 40)] });
        yield return Preset("vionet-bottleneck", "exercise 3, VioNet violating a shared bottleneck: RegNetX32 with b0.5 then b2",
            FashionMnist96, 0.05f, x32 with { Stages = [new(4, 32, 16, 0.5), new(6, 80, 16, 2)] });

        foreach (var (name, p, se) in PyclsRegNets)
        {
            var spec = new RegNetSpec(p, se ? RegNet.DefaultSeRatio : 0);
            yield return Preset(name, $"{Title(name)} (pycls, ImageNet): {Params(p)}{(se ? ", SE 0.25" : "")}; stages {RegNet.Describe(spec.Stages)}",
                ImageNet224, 0.1f, spec);
        }
        foreach (var (name, pycls) in TorchvisionRegNets)
        {
            var (_, p, se) = PyclsRegNets.First(r => r.Name == pycls);
            var spec = new RegNetSpec(p, se ? RegNet.DefaultSeRatio : 0, RegNetRounding.Torchvision);
            yield return Preset(name, $"torchvision.models.{name}: {Title(pycls)} with torchvision's rounding; stages {RegNet.Describe(spec.Stages)}",
                ImageNet224, 0.1f, spec);
        }
    }

    private static string Title(string pyclsName) =>
        "RegNet" + char.ToUpperInvariant(pyclsName[6]) + pyclsName[7..].ToUpperInvariant();

    private static string Params(RegNetParams p) => string.Create(CultureInfo.InvariantCulture,
        $"d={p.Depth}, w0={p.W0}, wa={p.WA}, wm={p.WM}, g={p.GroupWidth}");
}
