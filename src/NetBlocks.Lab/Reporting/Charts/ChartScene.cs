using NetBlocks.Reporting.Images;

namespace NetBlocks.Reporting.Charts;

/// <summary>
/// A chart laid out in pixels, as a list of shapes both renderers draw in order; everything that decides where
/// something goes (scales, ticks, margins, legend corner) happens once, in <see cref="ChartLayout"/>.
/// Coordinates are continuous pixels with y down, pixel (i, j) covering [i, i+1) x [j, j+1).
/// </summary>
internal sealed record ChartScene(int Width, int Height, Rgb Background, PlotBox Plot, PlotBox Clip,
                                  AxisTicks X, AxisTicks Y, IReadOnlyList<Shape> Shapes);

internal readonly record struct PlotBox(double Left, double Top, double Right, double Bottom)
{
    public double Width => Right - Left;
    public double Height => Bottom - Top;
}

internal abstract record Shape;

/// <summary>A rectangle filled at <paramref name="Opacity"/>, outlined 1 px wide in <paramref name="Stroke"/> when given.</summary>
internal sealed record RectShape(PlotBox Box, Rgb Fill, double Opacity, Rgb? Stroke) : Shape;

/// <summary>A polyline with round caps and joins; <paramref name="Series"/> names the data series it draws (null for axes, grid, legend).</summary>
internal sealed record LineShape((double X, double Y)[] Points, Rgb Color, double Width, double[] Dash, bool Clipped, string? Series = null) : Shape;

/// <summary>Discs of radius <paramref name="Radius"/> at each point (a scatter series).</summary>
internal sealed record MarkersShape((double X, double Y)[] Points, Rgb Color, double Radius, bool Clipped, string? Series = null) : Shape;

/// <summary>Text anchored at (X, Y) on its baseline; vertical text reads bottom to top.</summary>
internal sealed record TextShape(string Text, double X, double Y, Rgb Color, int Scale, TextAnchor Anchor, bool Vertical = false) : Shape;
