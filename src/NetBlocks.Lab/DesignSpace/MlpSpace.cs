using System.Globalization;
using NetBlocks.Models;

namespace NetBlocks.DesignSpace;

/// <summary>
/// Seed 003's "design the perfect MLP" exercise as a design space: depth L uniform in 1..<see cref="DesignSpaceOptions.MaxDepth"/>,
/// a base width per hidden layer uniform over the multiples of 8 in <see cref="DesignSpaceOptions.MinWidth"/>..MaxWidth,
/// one width multiplier m from <see cref="Multipliers"/> applied to every layer (hidden width = base · m), and the
/// activation, ReLU or sigmoid (the engine's two; see <see cref="MlpActivation"/>). Every model is an <c>mlp:</c> spec.
/// Stored parameters: <c>depth</c>, <c>m</c>, <c>act</c> (0 = ReLU, 1 = sigmoid) and the hidden widths <c>w1</c>…<c>wL</c>.
/// </summary>
public static class MlpSpace
{
    /// <summary>The width multipliers m: small and large MLPs come from one space, told apart by the complexity band.</summary>
    public static IReadOnlyList<double> Multipliers { get; } = [0.5, 1, 2, 4];

    /// <summary>One MLP (never rejected: every draw is a valid model).</summary>
    public static DesignSample TryDraw(DesignSpaceOptions o, Random rng)
    {
        int depth = rng.Next(1, o.MaxDepth + 1);
        var bases = Enumerable.Range(0, depth).Select(_ => DesignSpaces.Multiple8(rng, o.MinWidth, o.MaxWidth)).ToArray();
        double m = Multipliers[rng.Next(Multipliers.Count)];
        var act = rng.Next(2) == 0 ? MlpActivation.Relu : MlpActivation.Sigmoid;
        int[] widths = [.. bases.Select(b => (int)(b * m))]; // bases are multiples of 8, so b·0.5 is whole
        var p = new Dictionary<string, double> { ["depth"] = depth, ["m"] = m, ["act"] = act == MlpActivation.Sigmoid ? 1 : 0 };
        for (int i = 0; i < depth; i++) p["w" + (i + 1).ToString(CultureInfo.InvariantCulture)] = widths[i];
        return new DesignSample(new MlpSpec(widths, act).ToSpec(), p);
    }
}
