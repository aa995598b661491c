namespace NetBlocks.DesignSpace;

/// <summary>
/// Seed 003's VioNet exercise: RegNet's design principles are non-decreasing widths (c), non-decreasing depths (d), one
/// group width (g) and one bottleneck ratio (b) shared by all stages. Each VioNet space breaks exactly one of them and
/// keeps the other three, so comparing its error EDF with RegNet's measures what that principle is worth.
/// <para>A draw starts from a RegNet draw that keeps all four (the pycls rule can clamp g in a narrow stage or give a
/// shallower later stage; such bases are rejected), then breaks one principle at random:</para>
/// <list type="bullet">
/// <item>vionet-widths: a uniformly random order of the stage widths, rejected while the widths are still non-decreasing;</item>
/// <item>vionet-depths: the same with the stage depths;</item>
/// <item>vionet-groups: a group width drawn per stage from the space's list, rejected while all are equal;</item>
/// <item>vionet-bottleneck: a bottleneck ratio drawn per stage, rejected while all are equal.</item>
/// </list>
/// The stored parameters are RegNet's (d, w0, wa, wm, g, b) and the stages'; where g or b is no longer shared it is stored
/// as g_rule or b_rule, the value the width rule was quantised with. Rejection keeps the draw uniform over the violating models; the caller's spec check rejects group widths that do not
/// divide their stage's bottleneck.
/// </summary>
internal static class VioNetSpaces
{
    public static bool IsVioNet(SpaceKind kind) => kind is SpaceKind.VioNetWidths or SpaceKind.VioNetDepths or SpaceKind.VioNetGroups or SpaceKind.VioNetBottleneck;

    /// <summary>Options under which a VioNet space has no model at all (one stage, or one value to draw per stage from).</summary>
    /// <exception cref="ArgumentException">names the space, the option and what it needs.</exception>
    public static void CheckOptions(SpaceKind kind, DesignSpaceOptions o)
    {
        if (!IsVioNet(kind)) return;
        string name = DesignSpaces.Name(kind);
        if (o.MaxStages < 2)
            throw new ArgumentException($"{name} breaks a principle between stages, so it needs at least 2 stages: --stages allows at most {o.MaxStages}");
        if (kind == SpaceKind.VioNetGroups && o.GroupWidths.Distinct().Count() < 2)
            throw new ArgumentException($"{name} draws a group width per stage and needs at least 2 to choose from, got {string.Join(", ", o.GroupWidths)}");
        if (kind == SpaceKind.VioNetBottleneck && o.BottleneckRatios.Distinct().Count() < 2)
            throw new ArgumentException($"{name} draws a bottleneck ratio per stage and needs at least 2 to choose from, got {string.Join(", ", o.BottleneckRatios)}");
    }

    /// <summary>The draw with its one principle broken, or null (the caller draws again).</summary>
    public static DesignSpaces.RegNetDraw? Violate(SpaceKind kind, DesignSpaces.RegNetDraw regnet, DesignSpaceOptions o, Random rng)
    {
        var stages = regnet.Stages.ToList();
        if (!KeepsAllPrinciples(stages)) return null;
        var globals = new Dictionary<string, double>(regnet.Globals);
        switch (kind)
        {
            case SpaceKind.VioNetWidths:
                var widths = Shuffled(stages.Select(s => s.W).ToArray(), rng);
                if (NonDecreasing(widths)) return null;
                stages = [.. stages.Select((s, i) => s with { W = widths[i] })];
                break;
            case SpaceKind.VioNetDepths:
                var depths = Shuffled(stages.Select(s => s.D).ToArray(), rng);
                if (NonDecreasing(depths)) return null;
                stages = [.. stages.Select((s, i) => s with { D = depths[i] })];
                break;
            case SpaceKind.VioNetGroups:
                stages = [.. stages.Select(s => s with { G = DesignSpaces.Pick(rng, o.GroupWidths) })];
                if (stages.Select(s => s.G).Distinct().Count() == 1) return null;
                globals["g_rule"] = globals["g"]; // the group width the widths were quantised with, no longer the stages'
                globals.Remove("g");
                break;
            case SpaceKind.VioNetBottleneck:
                stages = [.. stages.Select(s => s with { B = DesignSpaces.Pick(rng, o.BottleneckRatios) })];
                if (stages.Select(s => s.B).Distinct().Count() == 1) return null;
                globals["b_rule"] = 1 / globals["b"]; // as the multiplier, the way reports show b (they invert only b, b1, b2 …)
                globals.Remove("b");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a VioNet space");
        }
        return regnet with { Stages = stages, Globals = globals };
    }

    /// <summary>Widths and depths non-decreasing from the stem on, one group width and one bottleneck ratio.</summary>
    public static bool KeepsAllPrinciples(IReadOnlyList<(int D, int W, int G, int B)> stages) =>
        NonDecreasing([.. stages.Select(s => s.W)]) && NonDecreasing([.. stages.Select(s => s.D)]) &&
        stages.Select(s => s.G).Distinct().Count() == 1 && stages.Select(s => s.B).Distinct().Count() == 1;

    public static bool NonDecreasing(IReadOnlyList<int> values)
    {
        for (int i = 1; i < values.Count; i++)
            if (values[i] < values[i - 1]) return false;
        return true;
    }

    /// <summary>Fisher–Yates: every order equally likely.</summary>
    private static int[] Shuffled(int[] values, Random rng)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
        return values;
    }
}
