using System.Globalization;
using NetBlocks.Models;

namespace NetBlocks.DesignSpace;

/// <summary>
/// The design spaces of Radosavovic et al. (2020), seed 003: AnyNetX_A (every stage free), then each one a
/// restriction of the one before — B shares the bottleneck ratio, C also the group width, D makes widths
/// non-decreasing, E also depths — and RegNet (quantised linear widths from d, w0, wa, wm).
/// </summary>
/// <para>Seed 003's exercises add the VioNet spaces, RegNet with exactly one principle broken (see <see cref="VioNetSpaces"/>),
/// and an MLP space (see <see cref="MlpSpace"/>). New kinds go after RegNet: the AnyNetX kinds are ordered restrictions.</para>
public enum SpaceKind { AnyNetXA, AnyNetXB, AnyNetXC, AnyNetXD, AnyNetXE, RegNet, VioNetWidths, VioNetDepths, VioNetGroups, VioNetBottleneck, Mlp }

/// <summary>
/// Ranges of a design space, scaled for Fashion-MNIST at low resolution (the paper's are for ImageNet: 4 stages,
/// depth ≤ 16, width ≤ 1024). Widths are multiples of 8; the bottleneck ratio b is the paper's (bottleneck width =
/// width / b); the group width must divide the bottleneck width (drawn models where it does not are rejected).
/// </summary>
public sealed record DesignSpaceOptions
{
    public int MinStages { get; init; } = 2;
    public int MaxStages { get; init; } = 3;
    public int MaxDepth { get; init; } = 4;
    public int MinWidth { get; init; } = 8;
    public int MaxWidth { get; init; } = 128;
    public int MinStem { get; init; } = 16;
    public int MaxStem { get; init; } = 32;
    public IReadOnlyList<int> BottleneckRatios { get; init; } = [1, 2, 4];
    public IReadOnlyList<int> GroupWidths { get; init; } = [1, 2, 4, 8, 16, 32];
    /// <summary>RegNet: total depth d in [2, this].</summary>
    public int MaxRegNetDepth { get; init; } = 12;
    /// <summary>RegNet: w0 (multiple of 8), wa (log-uniform), wm (uniform) ranges.</summary>
    public int MinW0 { get; init; } = 8;
    public int MaxW0 { get; init; } = 64;
    public double MinWa { get; init; } = 4;
    public double MaxWa { get; init; } = 64;
    public double MinWm { get; init; } = 1.5;
    public double MaxWm { get; init; } = 3;

    /// <summary>Checks every range; messages name the option and what is wrong.</summary>
    public void Validate()
    {
        if (MinStages < 1 || MinStages > MaxStages) throw new ArgumentException($"stages {MinStages}..{MaxStages}: need 1 ≤ min ≤ max");
        if (MaxStages > 6) throw new ArgumentException($"at most 6 stages (each halves the resolution), got {MaxStages}");
        if (MaxDepth < 1) throw new ArgumentException($"the maximum stage depth must be at least 1, got {MaxDepth}");
        if (MinWidth < 8 || MinWidth % 8 != 0 || MaxWidth % 8 != 0 || MinWidth > MaxWidth)
            throw new ArgumentException($"widths {MinWidth}..{MaxWidth}: both must be multiples of 8, at least 8, min ≤ max");
        if (MinStem < 8 || MinStem % 8 != 0 || MaxStem % 8 != 0 || MinStem > MaxStem)
            throw new ArgumentException($"stem {MinStem}..{MaxStem}: both must be multiples of 8, at least 8, min ≤ max");
        if (BottleneckRatios.Count == 0 || BottleneckRatios.Any(b => b < 1)) throw new ArgumentException("bottleneck ratios must be positive integers");
        if (GroupWidths.Count == 0 || GroupWidths.Any(g => g < 1)) throw new ArgumentException("group widths must be positive integers");
        if (MaxRegNetDepth < 2) throw new ArgumentException($"the maximum RegNet depth must be at least 2, got {MaxRegNetDepth}");
        if (MinW0 < 8 || MinW0 % 8 != 0 || MaxW0 % 8 != 0 || MinW0 > MaxW0) throw new ArgumentException($"w0 {MinW0}..{MaxW0}: multiples of 8, min ≤ max");
        if (!(MinWa > 0) || MinWa > MaxWa) throw new ArgumentException($"wa {MinWa}..{MaxWa}: need 0 < min ≤ max");
        if (!(MinWm > 1) || MinWm > MaxWm) throw new ArgumentException($"wm {MinWm}..{MaxWm}: need 1 < min ≤ max");
    }
}

/// <summary>One drawn model: the spec string ModelZoo builds, and the design parameters it was drawn with (for the report).</summary>
public sealed record DesignSample(string Spec, IReadOnlyDictionary<string, double> Parameters);

/// <summary>Sampling from the spaces: uniform draws with the space's constraints (rejection when a draw breaks one).</summary>
public static class DesignSpaces
{
    private static readonly (string Name, SpaceKind Kind, string Description)[] Table =
    [
        ("anynetx-a", SpaceKind.AnyNetXA, "AnyNetX_A: depth, width, bottleneck ratio and group width free in every stage"),
        ("anynetx-b", SpaceKind.AnyNetXB, "AnyNetX_B: A with one bottleneck ratio shared by all stages"),
        ("anynetx-c", SpaceKind.AnyNetXC, "AnyNetX_C: B with one group width shared by all stages"),
        ("anynetx-d", SpaceKind.AnyNetXD, "AnyNetX_D: C with non-decreasing widths"),
        ("anynetx-e", SpaceKind.AnyNetXE, "AnyNetX_E: D with non-decreasing depths"),
        ("regnet", SpaceKind.RegNet, "RegNet: widths from the quantised linear rule of d, w0, wa, wm; shared g and b"),
        ("vionet-widths", SpaceKind.VioNetWidths, "VioNet-c: RegNet with its stage widths permuted so that they do not increase; depths, g and b as RegNet"),
        ("vionet-depths", SpaceKind.VioNetDepths, "VioNet-d: RegNet with its stage depths permuted so that they do not increase; widths, g and b as RegNet"),
        ("vionet-groups", SpaceKind.VioNetGroups, "VioNet-g: RegNet with a group width drawn per stage, not all equal; widths, depths and b as RegNet"),
        ("vionet-bottleneck", SpaceKind.VioNetBottleneck, "VioNet-b: RegNet with a bottleneck ratio drawn per stage, not all equal; widths, depths and g as RegNet"),
        ("mlp", SpaceKind.Mlp, "MLP: depth, a width per hidden layer, a width multiplier and the activation (relu or sigmoid)"),
    ];

    public static IReadOnlyList<string> Names => [.. Table.Select(t => t.Name)];

    public static string Name(SpaceKind kind) => Table.First(t => t.Kind == kind).Name;

    public static string Describe(SpaceKind kind) => Table.First(t => t.Kind == kind).Description;

    /// <exception cref="ArgumentException">an unknown name; the message lists the spaces.</exception>
    public static SpaceKind Parse(string name)
    {
        var n = (name ?? "").Trim().ToLowerInvariant().Replace('_', '-');
        foreach (var t in Table)
            if (t.Name == n || t.Name.Replace("-", "") == n.Replace("-", "")) return t.Kind;
        throw new ArgumentException($"unknown design space '{name}'; choose one of {string.Join(", ", Names)}");
    }

    /// <summary>
    /// Draws one model of <paramref name="kind"/>, or null when the draw breaks a constraint of the space (the caller draws
    /// again: rejection keeps the draw uniform over the constrained space).
    /// </summary>
    public static DesignSample? TryDraw(SpaceKind kind, DesignSpaceOptions o, Random rng) => kind switch
    {
        SpaceKind.RegNet => TryDrawRegNet(o, rng) is { } r ? Sample(r) : null,
        _ when VioNetSpaces.IsVioNet(kind) => TryDrawRegNet(o, rng) is { } r && VioNetSpaces.Violate(kind, r, o, rng) is { } v ? Sample(v) : null,
        SpaceKind.Mlp => MlpSpace.TryDraw(o, rng),
        _ => TryDrawAnyNet(kind, o, rng),
    };

    private static DesignSample? TryDrawAnyNet(SpaceKind kind, DesignSpaceOptions o, Random rng)
    {
        int stages = rng.Next(o.MinStages, o.MaxStages + 1);
        int stem = Multiple8(rng, o.MinStem, o.MaxStem);
        int sharedB = Pick(rng, o.BottleneckRatios), sharedG = Pick(rng, o.GroupWidths);
        bool shareB = kind >= SpaceKind.AnyNetXB, shareG = kind >= SpaceKind.AnyNetXC;
        var list = new List<(int D, int W, int G, int B)>();
        for (int i = 0; i < stages; i++)
        {
            int d = rng.Next(1, o.MaxDepth + 1);
            int w = Multiple8(rng, o.MinWidth, o.MaxWidth);
            int b = shareB ? sharedB : Pick(rng, o.BottleneckRatios);
            int g = shareG ? sharedG : Pick(rng, o.GroupWidths);
            list.Add((d, w, g, b));
        }
        for (int i = 1; i < stages; i++)
        {
            if (kind >= SpaceKind.AnyNetXD && list[i].W < list[i - 1].W) return null;
            if (kind >= SpaceKind.AnyNetXE && list[i].D < list[i - 1].D) return null;
        }
        foreach (var s in list)
            if (s.W % s.B != 0 || (s.W / s.B) % s.G != 0) return null;
        var spec = new AnyNetSpec(stem, [.. list.Select(s => new AnyNetStageSpec(s.D, s.W, s.G, 1.0 / s.B))]);
        var p = new Dictionary<string, double> { ["stages"] = stages, ["stem"] = stem };
        AddStages(p, list);
        return new DesignSample(spec.ToSpec(), p);
    }

    /// <summary>
    /// A RegNet draw before it becomes a spec: the stem, the stages (bottleneck as the paper's ratio r) and the global
    /// parameters (d, w0, wa, wm, g, b; the VioNet spaces drop the one they no longer share).
    /// </summary>
    internal sealed record RegNetDraw(int Stem, IReadOnlyList<(int D, int W, int G, int B)> Stages, IReadOnlyDictionary<string, double> Globals);

    private static RegNetDraw? TryDrawRegNet(DesignSpaceOptions o, Random rng)
    {
        int d = rng.Next(2, o.MaxRegNetDepth + 1);
        int w0 = Multiple8(rng, o.MinW0, o.MaxW0);
        double wa = Math.Round(Math.Exp(Math.Log(o.MinWa) + rng.NextDouble() * (Math.Log(o.MaxWa) - Math.Log(o.MinWa))), 2);
        double wm = Math.Round(o.MinWm + rng.NextDouble() * (o.MaxWm - o.MinWm), 2);
        if (!(wm > 1)) return null;
        int g = Pick(rng, o.GroupWidths), b = Pick(rng, o.BottleneckRatios);
        int stem = Multiple8(rng, o.MinStem, o.MaxStem);
        var stages = RegNet.Stages(new RegNetParams(d, w0, wa, wm, g, 1.0 / b));
        if (stages.Count < o.MinStages || stages.Count > o.MaxStages) return null;
        if (stages.Any(s => s.Width > o.MaxWidth || s.Width < 1)) return null;
        return new RegNetDraw(stem, [.. stages.Select(s => (s.Depth, s.Width, s.GroupWidth, b))],
            new Dictionary<string, double> { ["d"] = d, ["w0"] = w0, ["wa"] = wa, ["wm"] = wm, ["g"] = g, ["b"] = b });
    }

    /// <summary>
    /// The spec of a RegNet-derived draw, or null when a group width does not divide its stage's bottleneck. Built as an
    /// AnyNet (d2l's builder and init), so that the spaces' EDFs compare designs, not two implementations.
    /// </summary>
    private static DesignSample? Sample(RegNetDraw r)
    {
        var spec = new AnyNetSpec(r.Stem, [.. r.Stages.Select(s => new AnyNetStageSpec(s.D, s.W, s.G, 1.0 / s.B))]);
        try { _ = ModelZoo.Parse(spec.ToSpec()); }
        catch (FormatException) { return null; } // a group width the rounding left incompatible
        var p = new Dictionary<string, double> { ["stages"] = r.Stages.Count, ["stem"] = r.Stem };
        foreach (var kv in r.Globals) p[kv.Key] = kv.Value;
        AddStages(p, r.Stages);
        return new DesignSample(spec.ToSpec(), p);
    }

    private static void AddStages(Dictionary<string, double> p, IReadOnlyList<(int D, int W, int G, int B)> stages)
    {
        for (int i = 0; i < stages.Count; i++)
        {
            string k = (i + 1).ToString(CultureInfo.InvariantCulture);
            p["d" + k] = stages[i].D;
            p["w" + k] = stages[i].W;
            p["g" + k] = stages[i].G;
            p["b" + k] = stages[i].B;
        }
    }

    internal static int Multiple8(Random rng, int min, int max) => 8 * rng.Next(min / 8, max / 8 + 1);

    internal static int Pick(Random rng, IReadOnlyList<int> values) => values[rng.Next(values.Count)];

    /// <summary>Per-stage widths of a sampled AnyNet spec, one per block (the w_j the paper fits a line to).</summary>
    public static int[] BlockWidths(string spec)
    {
        if (ModelZoo.Parse(spec) is not AnyNetSpec a) return [];
        return [.. a.Stages.SelectMany(s => Enumerable.Repeat(s.Width, s.Depth))];
    }
}
