using System.Text;

namespace NetBlocks.Reporting.Charts;

/// <summary>
/// Line, step and scatter charts as SVG and PNG. Both come from one layout (<see cref="ChartLayout"/>), so they
/// show the same ticks, margins and legend placement.
/// </summary>
public static class Chart
{
    public const int DefaultWidth = 640, DefaultHeight = 400;

    /// <summary>The chart as an SVG document.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a size below 160x120.</exception>
    /// <exception cref="ArgumentException">axis limits with min >= max, or non-positive limits on a log axis.</exception>
    public static string ToSvg(ChartSpec spec, int width = DefaultWidth, int height = DefaultHeight) =>
        SvgRenderer.Render(ChartLayout.Build(spec, width, height));

    /// <summary>The chart as an RGB PNG of <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public static byte[] ToPng(ChartSpec spec, int width = DefaultWidth, int height = DefaultHeight) =>
        PngRenderer.Render(ChartLayout.Build(spec, width, height)).ToPng();

    /// <summary>
    /// Writes <c>{pathWithoutExtension}.svg</c> and <c>.png</c>, each atomically (temporary file, then rename), so a
    /// chart refreshed during training is never seen half written. Creates the directory if needed.
    /// </summary>
    public static void Save(ChartSpec spec, string pathWithoutExtension, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(pathWithoutExtension);
        var scene = ChartLayout.Build(spec, width, height);
        AtomicFile.WriteAllBytes(pathWithoutExtension + ".svg", Encoding.UTF8.GetBytes(SvgRenderer.Render(scene)));
        AtomicFile.WriteAllBytes(pathWithoutExtension + ".png", PngRenderer.Render(scene).ToPng());
    }
}
