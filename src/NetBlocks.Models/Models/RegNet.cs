using System.Globalization;
using NetBlocks.Nn;

namespace NetBlocks.Models;

/// <summary>
/// The RegNet design parameters (Radosavovic et al. 2020; pycls's cfg.REGNET): depth d (blocks), initial width w0,
/// slope wa, width multiplier wm, group width g and bottleneck multiplier bm (pycls's BOT_MUL = 1/b of the paper).
/// </summary>
public sealed record RegNetParams(int Depth, int W0, double WA, double WM, int GroupWidth, double BottleneckMultiplier = 1.0);

/// <summary>One RegNet stage after quantisation and the group-width adjustment.</summary>
public sealed record RegNetStageSpec(int Depth, int Width, int GroupWidth, double BottleneckMultiplier = 1.0)
{
    /// <summary>int(round(width · bm)), as both pycls and torchvision compute the bottleneck width.</summary>
    public int BottleneckWidth => (int)Math.Round(Width * BottleneckMultiplier, MidpointRounding.ToEven);
    public int Groups => BottleneckWidth / GroupWidth;
}

/// <summary>
/// Where pycls and torchvision differ. Both quantise the widths in the same way (np.round / torch.round, halves to even;
/// pycls in float64, torchvision in float32). They differ in making the widths compatible with the group width:
/// pycls (blocks.py adjust_block_compatibility) rounds w_bot/g with Python's round (halves to even), torchvision
/// (regnet.py _adjust_widths_groups_compatibilty → _utils._make_divisible) computes int(v + g/2) // g · g (halves up) and
/// adds g back when that lost more than 10%. E.g. RegNetX-400MF's last stage: 392 = 24.5·16 becomes 384 in pycls and 400
/// in torchvision (5,157,512 vs 5,495,976 parameters).
/// </summary>
public enum RegNetRounding
{
    Pycls,
    Torchvision,
}

/// <summary>
/// A RegNet as pycls/torchvision build it: stem 3×3 stride-2 conv (no bias) + BN + ReLU of <see cref="StemWidth"/>
/// channels, the stages of <see cref="RegNet.Stages"/> (each first block with stride 2), global average pooling and a
/// linear classifier. <see cref="SeRatio"/> &gt; 0 adds squeeze-excitation (RegNetY) of width round(ratio · block input width).
/// </summary>
public sealed record RegNetSpec(RegNetParams Params, double SeRatio = 0, RegNetRounding Rounding = RegNetRounding.Pycls,
    int StemWidth = RegNet.DefaultStemWidth, BlockKind Block = BlockKind.ResNeXt, bool ZeroInitFinalGamma = false,
    ModelInit Init = ModelInit.Pycls) : IModelSpec
{
    public string Family => "regnet";

    /// <summary>The per-stage depths, widths and group widths this spec generates.</summary>
    public IReadOnlyList<RegNetStageSpec> Stages => RegNet.Stages(Params, Rounding);

    public Module Build(ModelOptions options) => RegNet.Build(this, options);

    public string ToSpec()
    {
        var p = Params;
        var items = new List<string>
        {
            $"d={p.Depth}", $"w0={p.W0}", $"wa={SpecReader.Fmt(p.WA)}", $"wm={SpecReader.Fmt(p.WM)}", $"g={p.GroupWidth}",
        };
        if (p.BottleneckMultiplier != 1.0) items.Add($"b={SpecReader.Fmt(p.BottleneckMultiplier)}");
        if (SeRatio > 0) items.Add($"se={SpecReader.Fmt(SeRatio)}");
        if (StemWidth != RegNet.DefaultStemWidth) items.Add($"stem={StemWidth}");
        if (Rounding != RegNetRounding.Pycls) items.Add("rounding=torchvision");
        if (Block != BlockKind.ResNeXt) items.Add("block=resnet");
        if (ZeroInitFinalGamma) items.Add("zerogamma=true");
        if (Init != ModelInit.Pycls) items.Add($"init={SpecReader.InitName(Init)}");
        return "regnet:" + string.Join(",", items);
    }
}

/// <summary>The RegNet generator (quantised linear widths) and builder.</summary>
public static class RegNet
{
    /// <summary>pycls cfg.REGNET.STEM_W and torchvision's stem_width.</summary>
    public const int DefaultStemWidth = 32;
    /// <summary>Widths are quantised to multiples of 8 (pycls generate_regnet's q, torchvision's QUANT).</summary>
    public const int Quantum = 8;
    /// <summary>pycls cfg.REGNET.SE_R: the SE width is this fraction of the block's input width.</summary>
    public const double DefaultSeRatio = 0.25;

    /// <summary>
    /// Per-block widths w_j = q·round(w0·wm^k_j / q), k_j = round(log(u_j / w0) / log(wm)), u_j = w0 + wa·j (pycls
    /// regnet.py generate_regnet, torchvision BlockParams.from_init_params). pycls computes in float64, torchvision in float32.
    /// </summary>
    public static int[] BlockWidths(RegNetParams p, RegNetRounding rounding = RegNetRounding.Pycls)
    {
        Check(p);
        var widths = new int[p.Depth];
        for (int j = 0; j < p.Depth; j++)
        {
            if (rounding == RegNetRounding.Pycls)
            {
                double u = j * p.WA + p.W0;                                                        // np.arange(d) * w_a + w_0
                double k = Math.Round(Math.Log(u / p.W0) / Math.Log(p.WM), MidpointRounding.ToEven); // np.round (halves to even)
                double w = p.W0 * Math.Pow(p.WM, k);
                widths[j] = (int)Math.Round(w / Quantum, MidpointRounding.ToEven) * Quantum;
            }
            else
            {
                // torch.arange(depth) * w_a + w_0 is a float32 tensor; every step below rounds to float32 as torch does.
                float u = (float)j * (float)p.WA + p.W0;
                float k = MathF.Round(MathF.Log(u / p.W0) / (float)Math.Log(p.WM), MidpointRounding.ToEven);
                float w = p.W0 * MathF.Pow((float)p.WM, k);
                widths[j] = (int)(MathF.Round(w / Quantum, MidpointRounding.ToEven) * Quantum);
            }
        }
        return widths;
    }

    /// <summary>
    /// The stages: runs of equal block widths (pycls np.unique with counts, torchvision's split), then the widths made
    /// compatible with the group width by each library's rounding (see <see cref="RegNetRounding"/>).
    /// </summary>
    public static IReadOnlyList<RegNetStageSpec> Stages(RegNetParams p, RegNetRounding rounding = RegNetRounding.Pycls)
    {
        var blockWidths = BlockWidths(p, rounding);
        var runs = new List<(int Width, int Depth)>();
        foreach (int w in blockWidths)
        {
            if (runs.Count > 0 && runs[^1].Width == w) runs[^1] = (w, runs[^1].Depth + 1);
            else runs.Add((w, 1));
        }
        double b = p.BottleneckMultiplier;
        return [.. runs.Select(r =>
        {
            var (width, groupWidth) = rounding == RegNetRounding.Pycls
                ? AdjustPycls(r.Width, b, p.GroupWidth)
                : AdjustTorchvision(r.Width, b, p.GroupWidth);
            return new RegNetStageSpec(r.Depth, width, groupWidth, b);
        })];
    }

    /// <summary>pycls blocks.py adjust_block_compatibility for one stage.</summary>
    private static (int Width, int GroupWidth) AdjustPycls(int w, double b, int g)
    {
        int v = (int)Math.Max(1, w * b);                        // vs = [int(max(1, w * b))]
        int gw = Math.Min(g, v);                                // gs = [int(min(g, v))]
        int m = b > 1 ? Lcm(gw, IntegralMultiplier(b)) : gw;    // ms = [np.lcm(g, b) if b > 1 else g]
        v = Math.Max(m, (int)(Math.Round((double)v / m, MidpointRounding.ToEven) * m)); // max(m, int(round(v / m) * m))
        return ((int)(v / b), gw);                              // ws = [int(v / b)]
    }

    /// <summary>torchvision regnet.py _adjust_widths_groups_compatibilty for one stage (with _utils._make_divisible).</summary>
    private static (int Width, int GroupWidth) AdjustTorchvision(int w, double b, int g)
    {
        int wBot = (int)(w * b);                                // widths = [int(w * b)]
        int gw = Math.Min(g, wBot);                             // group_widths_min = [min(g, w_bot)]
        int v = Math.Max(gw, (int)(wBot + gw / 2.0) / gw * gw); // _make_divisible: max(min_value, int(v + d / 2) // d * d)
        if (v < 0.9 * wBot) v += gw;                            // "make sure that round down does not go down by more than 10%"
        return ((int)(v / b), gw);                              // stage_widths = [int(w_bot / b)]
    }

    private static int IntegralMultiplier(double b) =>
        b == Math.Floor(b) ? (int)b : throw new ArgumentException($"pycls needs a whole bottleneck multiplier above 1 (np.lcm), got {b}");

    private static int Lcm(int a, int b)
    {
        int x = a, y = b;
        while (y != 0) (x, y) = (y, x % y);
        return a / x * b;
    }

    private static void Check(RegNetParams p)
    {
        // pycls generate_regnet: assert w_a >= 0 and w_0 > 0 and w_m > 1 and w_0 % q == 0 (torchvision: the same ValueError)
        if (p.Depth < 1) throw new ArgumentException($"RegNet depth must be at least 1, got {p.Depth}");
        if (p.WA < 0) throw new ArgumentException($"RegNet slope wa must be ≥ 0, got {p.WA}");
        if (p.W0 <= 0 || p.W0 % Quantum != 0) throw new ArgumentException($"RegNet initial width w0 must be a positive multiple of {Quantum}, got {p.W0}");
        if (!(p.WM > 1)) throw new ArgumentException($"RegNet width multiplier wm must be > 1, got {p.WM}");
        if (p.GroupWidth < 1) throw new ArgumentException($"RegNet group width must be at least 1, got {p.GroupWidth}");
        if (!(p.BottleneckMultiplier > 0)) throw new ArgumentException($"RegNet bottleneck multiplier must be > 0, got {p.BottleneckMultiplier}");
    }

    /// <summary>The network for <paramref name="spec"/>, lazy in its input channels (the stem convolution) and nowhere else.</summary>
    public static RegNetModel Build(RegNetSpec spec, ModelOptions options)
    {
        ModelZoo.Validate(options);
        return new RegNetModel(spec.Stages, options.Classes, spec.StemWidth, spec.SeRatio, spec.Block, spec.ZeroInitFinalGamma);
    }

    internal const string Grammar =
        "grammar (regnet): regnet:d=<depth>,w0=<initial width>,wa=<slope>,wm=<width multiplier>,g=<group width>[,b=<bottleneck multiplier>]" +
        "[,se=<ratio>][,stem=<width>][,rounding=pycls|torchvision][,block=resnext|resnet][,zerogamma=true|false][,init=pycls|d2l|default]\n" +
        "  e.g. regnet:d=13,w0=24,wa=36.44,wm=2.49,g=8 (RegNetX-200MF)   regnetx-400mf:rounding=torchvision";

    internal static RegNetSpec Parse(SpecReader r, RegNetSpec? baseSpec, List<SpecItem> items, int end)
    {
        r.Grammar = Grammar;
        var p = baseSpec?.Params;
        int? d = p?.Depth, w0 = p?.W0, g = p?.GroupWidth;
        double? wa = p?.WA, wm = p?.WM;
        double bm = p?.BottleneckMultiplier ?? 1.0;
        var spec = baseSpec ?? new RegNetSpec(new RegNetParams(1, Quantum, 0, 2, 1));
        var positions = new Dictionary<string, int>();
        foreach (var item in items)
        {
            if (!item.IsOption)
                throw item.Text.Length == 0 ? r.Error(item.Position, "empty item") : r.Error(item.Position, $"'{item.Text}' is not an option key=value of regnet");
            positions[item.Key] = item.ValuePosition;
            switch (item.Key)
            {
                case "d": d = r.Int(item.Value, item.ValuePosition, "d (depth)", 1, 1024); break;
                case "w0": w0 = r.Int(item.Value, item.ValuePosition, "w0 (initial width)", 1, 1 << 16); break;
                case "wa": wa = r.Double(item.Value, item.ValuePosition, "wa (slope)", 0, 1e6); break;
                case "wm": wm = r.Double(item.Value, item.ValuePosition, "wm (width multiplier)", 1, 1e3, minExclusive: true); break;
                case "g": g = r.Int(item.Value, item.ValuePosition, "g (group width)", 1, 1 << 16); break;
                case "b": bm = r.Double(item.Value, item.ValuePosition, "b (bottleneck multiplier)", 0, 64, minExclusive: true); break;
                case "se": spec = spec with { SeRatio = r.Double(item.Value, item.ValuePosition, "se (ratio)", 0, 1) }; break;
                case "stem": spec = spec with { StemWidth = r.Int(item.Value, item.ValuePosition, "stem (width)", 1, 1 << 16) }; break;
                case "rounding":
                    spec = spec with { Rounding = r.Choice(item.Value, item.ValuePosition, "rounding", ("pycls", RegNetRounding.Pycls), ("torchvision", RegNetRounding.Torchvision)) };
                    break;
                case "block": spec = spec with { Block = r.Choice(item.Value, item.ValuePosition, "block", ("resnext", BlockKind.ResNeXt), ("resnet", BlockKind.ResNet)) }; break;
                case "zerogamma": spec = spec with { ZeroInitFinalGamma = r.Bool(item.Value, item.ValuePosition, "zerogamma") }; break;
                case "init": spec = spec with { Init = r.Init(item) }; break;
                default: throw r.UnknownOption(item, "regnet", "d", "w0", "wa", "wm", "g", "b", "se", "stem", "rounding", "block", "zerogamma", "init");
            }
        }
        string? missing = d is null ? "d" : w0 is null ? "w0" : wa is null ? "wa" : wm is null ? "wm" : g is null ? "g" : null;
        if (missing is not null) throw r.Error(end, $"a RegNet needs d, w0, wa, wm and g; '{missing}' is missing");
        if (w0!.Value % Quantum != 0) throw r.Error(positions["w0"], $"w0 must be a multiple of {Quantum}, got {w0}");
        spec = spec with { Params = new RegNetParams(d!.Value, w0.Value, wa!.Value, wm!.Value, g!.Value, bm) };
        try { _ = spec.Stages; }
        catch (ArgumentException e) { throw r.Error(positions.GetValueOrDefault("b", end), e.Message); }
        return spec;
    }

    internal static string Describe(IReadOnlyList<RegNetStageSpec> stages) => string.Join(", ",
        stages.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Depth}×{s.Width} g{s.GroupWidth}")));
}
