using System.Globalization;

namespace NetBlocks.DesignSpace;

/// <summary>
/// A closed range [Min, Max] of a model cost (MACs, parameters), written <c>LO..HI</c> with optional k/M/G suffixes
/// (×10³, ×10⁶, ×10⁹): <c>10M..11M</c>, <c>..500k</c> (at most 500k), <c>2M..</c> (at least 2M).
/// </summary>
public sealed record ValueRange(double Min, double Max)
{
    public static readonly ValueRange Any = new(0, double.PositiveInfinity);

    public bool Contains(double value) => value >= Min && value <= Max;

    public bool IsAny => Min <= 0 && double.IsPositiveInfinity(Max);

    /// <summary>Parses <c>LO..HI</c>; <paramref name="what"/> names the option in errors (e.g. "--macs").</summary>
    /// <exception cref="ArgumentException">not LO..HI, a number that does not parse, a negative bound, or LO &gt; HI.</exception>
    public static ValueRange Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        int dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
            throw new ArgumentException($"{what} '{text}' is not a range LO..HI (e.g. 10M..11M, ..500k, 2M..)");
        var lo = text[..dots].Trim();
        var hi = text[(dots + 2)..].Trim();
        if (lo.Length == 0 && hi.Length == 0)
            throw new ArgumentException($"{what} '{text}' is empty: give at least one bound, e.g. 10M..11M or ..500k");
        double min = lo.Length == 0 ? 0 : Number(lo, what, text);
        double max = hi.Length == 0 ? double.PositiveInfinity : Number(hi, what, text);
        if (min > max)
            throw new ArgumentException($"{what} '{text}' is empty: the lower bound {Format(min)} is above the upper bound {Format(max)}; swap them");
        return new ValueRange(min, max);
    }

    private static double Number(string s, string what, string whole)
    {
        double scale = 1;
        char last = char.ToLowerInvariant(s[^1]);
        if (last is 'k' or 'm' or 'g')
        {
            scale = last switch { 'k' => 1e3, 'm' => 1e6, _ => 1e9 };
            s = s[..^1];
        }
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new ArgumentException($"{what} '{whole}': '{s}' is not a number (write e.g. 10M..11M, 250k..2M)");
        if (v < 0) throw new ArgumentException($"{what} '{whole}': bounds must not be negative");
        return v * scale;
    }

    /// <summary>A count in short form: 1.23M, 456k, 12.3G.</summary>
    public static string Format(double v) => v switch
    {
        double.PositiveInfinity => "∞",
        >= 1e9 => (v / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (v / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (v / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => v.ToString("0.##", CultureInfo.InvariantCulture),
    };

    public override string ToString() => $"{(Min <= 0 ? "" : Format(Min))}..{(double.IsPositiveInfinity(Max) ? "" : Format(Max))}";
}
