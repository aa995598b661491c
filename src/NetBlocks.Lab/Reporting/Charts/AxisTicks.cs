using System.Globalization;

namespace NetBlocks.Reporting.Charts;

/// <summary>
/// An axis interval [<see cref="Min"/>, <see cref="Max"/>] and the ticks inside it with their labels.
/// <see cref="Fraction"/> maps a data value to 0 (at Min) .. 1 (at Max), linearly or in log10.
/// </summary>
public sealed record AxisTicks(double Min, double Max, AxisScale Scale, IReadOnlyList<double> Ticks, IReadOnlyList<string> Labels)
{
    /// <summary>Where <paramref name="value"/> falls between Min (0) and Max (1); NaN for values a log axis can't show.</summary>
    public double Fraction(double value) => Scale == AxisScale.Log10
        ? value > 0 ? (Math.Log10(value) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min)) : double.NaN
        : (value - Min) / (Max - Min);

    /// <summary>
    /// Ticks at multiples of a "nice" step <c>m * 10^k</c>, m in {1, 2, 2.5, 5}: the smallest step that gives at most
    /// <paramref name="maxIntervals"/> intervals. Unless fixed, the interval is widened to the enclosing
    /// multiples of that step (0..2.37 becomes 0..2.5 with step 0.5). A bound given is kept exactly.
    /// An empty or single-valued data range is widened (0..1 when there is no data at all).
    /// </summary>
    /// <exception cref="ArgumentException">non-finite fixed bounds, min >= max, or a range wider than double can hold.</exception>
    public static AxisTicks Linear(double dataMin, double dataMax, int maxIntervals = 6, double? fixedMin = null, double? fixedMax = null)
    {
        maxIntervals = Math.Max(1, maxIntervals);
        var (lo, hi) = Bounds(dataMin, dataMax, fixedMin, fixedMax, (0, 1));
        if (!double.IsFinite(hi - lo)) throw new ArgumentException($"axis range {lo}..{hi} is too wide to tick");
        if (hi - lo <= Math.Max(Math.Abs(lo), Math.Abs(hi)) * 1e-12)
        {
            double d = lo == 0 ? 1 : Math.Abs(lo) * 0.1;
            if (fixedMin is null) lo -= d;
            if (fixedMax is null) hi += d;
        }

        // The smallest nice step whose widened range has at most maxIntervals intervals.
        int e = (int)Math.Floor(Math.Log10((hi - lo) / maxIntervals));
        int m10;
        long first, last;
        while (!FitsOneOf(e, out m10, out first, out last)) e++;

        bool FitsOneOf(int e, out int m10, out long first, out long last)
        {
            foreach (int m in (int[])[10, 20, 25, 50])
            {
                double step = Step(m, e);
                first = fixedMin is null ? (long)Math.Floor(lo / step + 1e-9) : (long)Math.Ceiling(lo / step - 1e-9);
                last = fixedMax is null ? (long)Math.Ceiling(hi / step - 1e-9) : (long)Math.Floor(hi / step + 1e-9);
                if (last - first <= maxIntervals) { m10 = m; return true; }
            }
            (m10, first, last) = (0, 0, 0);
            return false;
        }

        double min = fixedMin ?? Value(first, m10, e), max = fixedMax ?? Value(last, m10, e);
        int decimals = Math.Max(0, m10 % 10 == 0 ? -e : 1 - e);
        bool scientific = Math.Max(Math.Abs(min), Math.Abs(max)) >= 1e7 || decimals > 6;
        var ticks = new List<double>();
        var labels = new List<string>();
        for (long k = first; k <= last; k++)
        {
            double t = Value(k, m10, e);
            ticks.Add(t);
            labels.Add(scientific ? t.ToString("0.##e0", CultureInfo.InvariantCulture) : t.ToString("F" + decimals, CultureInfo.InvariantCulture));
        }
        return new AxisTicks(min, max, AxisScale.Linear, ticks, labels);
    }

    /// <summary>
    /// A log10 axis from the decade at or below the smallest positive value to the decade at or above the largest
    /// (fixed bounds kept exactly), ticked at powers of ten, every n-th decade when there are more than
    /// <paramref name="maxIntervals"/>. Non-positive data is ignored (1..10 when nothing is left).
    /// </summary>
    /// <exception cref="ArgumentException">a fixed bound &lt;= 0, or min >= max.</exception>
    public static AxisTicks Log10(double dataMin, double dataMax, int maxIntervals = 6, double? fixedMin = null, double? fixedMax = null)
    {
        if (fixedMin <= 0 || fixedMax <= 0) throw new ArgumentException($"a log axis needs positive limits, got {fixedMin}..{fixedMax}");
        if (!(dataMin > 0)) dataMin = double.NaN;
        var (lo, hi) = Bounds(dataMin, dataMax > 0 ? dataMax : double.NaN, fixedMin, fixedMax, (1, 10));
        int d0 = (int)Math.Floor(Math.Log10(lo) + 1e-9), d1 = (int)Math.Ceiling(Math.Log10(hi) - 1e-9);
        if (d1 == d0) d1++;
        double min = fixedMin ?? Pow10(d0), max = fixedMax ?? Pow10(d1);
        int stride = Math.Max(1, (int)Math.Ceiling((d1 - d0) / (double)Math.Max(1, maxIntervals)));
        var ticks = new List<double>();
        var labels = new List<string>();
        for (int d = d0; d <= d1; d++)
        {
            double t = Pow10(d);
            if (d % stride != 0 || t < min * (1 - 1e-9) || t > max * (1 + 1e-9)) continue;
            ticks.Add(t);
            labels.Add(d is >= -4 and <= 6 ? t.ToString("F" + Math.Max(0, -d), CultureInfo.InvariantCulture) : $"1e{d}");
        }
        return new AxisTicks(min, max, AxisScale.Log10, ticks, labels);
    }

    private static (double Lo, double Hi) Bounds(double dataMin, double dataMax, double? fixedMin, double? fixedMax, (double, double) empty)
    {
        if (fixedMin is { } f0 && !double.IsFinite(f0) || fixedMax is { } f1 && !double.IsFinite(f1))
            throw new ArgumentException($"axis limits must be finite, got {fixedMin} and {fixedMax}");
        if (fixedMin is { } a && fixedMax is { } b && !(a < b))
            throw new ArgumentException($"axis limits must satisfy min < max, got {a} and {b}");
        bool hasData = double.IsFinite(dataMin) && double.IsFinite(dataMax);
        var (lo, hi) = hasData ? (Math.Min(dataMin, dataMax), Math.Max(dataMin, dataMax)) : empty;
        if (fixedMin is { } fmin) { lo = fmin; if (hi < lo) hi = lo; }
        if (fixedMax is { } fmax) { hi = fmax; if (lo > hi) lo = hi; }
        return (lo, hi);
    }

    /// <summary>The step m10 * 10^(e-1) (m10 in {10, 20, 25, 50} is the mantissa times ten).</summary>
    private static double Step(int m10, int e) => Value(1, m10, e);

    /// <summary>
    /// k * m10 * 10^(e-1), computed as an integer times or divided by an exact power of ten, so ticks come out as
    /// the doubles nearest to 0.6, 0.3, ... rather than 3 * 0.2 = 0.6000000000000001.
    /// </summary>
    private static double Value(long k, int m10, int e)
    {
        double n = k * m10;
        int p = e - 1;
        return p >= 0 ? n * Pow10(p) : n / Pow10(-p);
    }

    /// <summary>10^d, exact when representable (parsing is correctly rounded; Math.Pow need not be).</summary>
    private static double Pow10(int d) => double.Parse("1e" + d.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
