using NetBlocks.Reporting.Images;

namespace NetBlocks.Reporting.Charts;

/// <summary>How a series' points are drawn.</summary>
public enum SeriesStyle
{
    /// <summary>Straight segments between consecutive points.</summary>
    Line,
    /// <summary>A staircase: from each point horizontally to the next x, then vertically (an EDF, a schedule).</summary>
    Step,
    /// <summary>A disc at each point, no lines (a scatter plot).</summary>
    Markers,
}

/// <summary>Dash patterns, as matplotlib's '-', '--', ':', '-.'.</summary>
public enum LineDash { Solid, Dashed, Dotted, DashDot }

public enum AxisScale { Linear, Log10 }

/// <summary>Where the legend goes; <see cref="Best"/> picks the inner corner that covers the fewest data (matplotlib's "best").</summary>
public enum LegendPosition { Best, UpperRight, UpperLeft, LowerLeft, LowerRight, None }

/// <summary>
/// One curve of a chart. Points are drawn in the given order; points with a NaN or infinite coordinate (or, on a
/// log axis, a non-positive one) are skipped.
/// </summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, SeriesStyle Style = SeriesStyle.Line)
{
    /// <summary>Colour; null = the palette colour of the series' position in the chart.</summary>
    public Rgb? Color { get; init; }
    public LineDash Dash { get; init; } = LineDash.Solid;
    /// <summary>Stroke width in pixels (lines and steps).</summary>
    public double Width { get; init; } = 2;
    /// <summary>Disc radius in pixels (markers).</summary>
    public double MarkerRadius { get; init; } = 3;

    /// <summary>
    /// The empirical distribution function of <paramref name="values"/> as a step series:
    /// <c>F(x) = (number of values &lt;= x) / n</c>, rising from 0 at the smallest value to 1 at the largest.
    /// Non-finite values are dropped before counting.
    /// </summary>
    public static Series Edf(string name, IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        var points = new List<(double X, double Y)>(sorted.Length + 1);
        if (sorted.Length > 0) points.Add((sorted[0], 0));
        for (int i = 0; i < sorted.Length; i++)
        {
            // Ties collapse into one jump: keep only the last of equal values.
            if (i + 1 < sorted.Length && sorted[i + 1] == sorted[i]) continue;
            points.Add((sorted[i], (i + 1) / (double)sorted.Length));
        }
        return new Series(name, points, SeriesStyle.Step);
    }
}

/// <summary>
/// What to plot. Axis limits left null follow the data, widened to the enclosing "nice" ticks; limits given are
/// kept exactly and points outside them are clipped.
/// </summary>
public sealed record ChartSpec(
    string Title,
    string XLabel,
    string YLabel,
    IReadOnlyList<Series> Series,
    double? YMin = null,
    double? YMax = null)
{
    public double? XMin { get; init; }
    public double? XMax { get; init; }
    public AxisScale XScale { get; init; } = AxisScale.Linear;
    public AxisScale YScale { get; init; } = AxisScale.Linear;
    public LegendPosition Legend { get; init; } = LegendPosition.Best;
    /// <summary>Horizontal grid lines at the y ticks and vertical ones at the x ticks.</summary>
    public bool Grid { get; init; } = true;
}

/// <summary>Matplotlib's "tab10" colours, in order (C0..C9).</summary>
public static class Palette
{
    public static readonly IReadOnlyList<Rgb> Tab10 =
    [
        Rgb.FromHex("#1f77b4"), Rgb.FromHex("#ff7f0e"), Rgb.FromHex("#2ca02c"), Rgb.FromHex("#d62728"),
        Rgb.FromHex("#9467bd"), Rgb.FromHex("#8c564b"), Rgb.FromHex("#e377c2"), Rgb.FromHex("#7f7f7f"),
        Rgb.FromHex("#bcbd22"), Rgb.FromHex("#17becf"),
    ];

    /// <summary>The colour of series number <paramref name="index"/>, cycling through the ten.</summary>
    public static Rgb Color(int index) => Tab10[((index % Tab10.Count) + Tab10.Count) % Tab10.Count];
}
