using System.Text.RegularExpressions;
using NetBlocks.Reporting.Charts;
using NetBlocks.Reporting.Images;
using NetBlocks.Training;

namespace NetBlocks.Tests.Reporting;

public sealed class ChartTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("netblocks-charts-");
    public void Dispose() => _dir.Delete(recursive: true);

    private static (double, double)[] Points(params double[] xy) =>
        Enumerable.Range(0, xy.Length / 2).Select(i => (xy[2 * i], xy[2 * i + 1])).ToArray();

    private static ChartSpec Training() => new("training", "epoch", "", [
        new Series("train_loss", Points(0.25, 2.1, 0.5, 1.4, 0.75, 1.0, 1, 0.8, 1.25, 0.7, 1.5, 0.62, 1.75, 0.6, 2, 0.55)),
        new Series("val_loss", Points(1, 0.75, 2, 0.58)) { Dash = LineDash.Dashed },
        new Series("val_acc", Points(1, 0.71, 2, 0.79)) { Dash = LineDash.DashDot },
    ]);

    /// <summary>(data-name, number of points) of each series polyline in an SVG.</summary>
    private static List<(string Name, int Points)> SeriesPolylines(string svg) =>
        Regex.Matches(svg, "<polyline class=\"series\" data-name=\"([^\"]*)\" points=\"([^\"]*)\"")
             .Select(m => (m.Groups[1].Value, m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length))
             .ToList();

    [Fact]
    public void SvgHasOnePolylinePerSeriesWithItsPointsAndALegend()
    {
        var svg = Chart.ToSvg(Training());
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\"", svg);
        Assert.Equal([("train_loss", 8), ("val_loss", 2), ("val_acc", 2)], SeriesPolylines(svg));
        foreach (var name in new[] { "train_loss", "val_loss", "val_acc", "training", "epoch" })
            Assert.Contains($">{name}</text>", svg);
        // Colours C0, C1, C2, and the d2l line styles.
        Assert.Contains("stroke=\"#1f77b4\"", svg);
        Assert.Contains("stroke=\"#ff7f0e\"", svg);
        Assert.Contains("stroke=\"#2ca02c\"", svg);
        Assert.Equal(2 + 2, Regex.Matches(svg, "stroke-dasharray").Count); // dashed + dash-dot, in the plot and the legend
    }

    [Fact]
    public void StepsMarkersAndUnplottablePoints()
    {
        var spec = new ChartSpec("mixed <&>", "x", "y", [
            new Series("edf", Points(0.1, 0, 0.2, 0.5, 0.3, 1), SeriesStyle.Step),
            new Series("gaps", Points(0, 0, 1, double.NaN, 2, double.PositiveInfinity, 3, 1)),
            new Series("scatter", Points(0.5, 0.5, 0.7, 0.2, double.NaN, 1), SeriesStyle.Markers),
            new Series("empty", []),
        ]);
        var svg = Chart.ToSvg(spec);
        Assert.Equal([("edf", 5), ("gaps", 2), ("empty", 0)], SeriesPolylines(svg));   // a step series of n points has 2n-1 vertices
        var markers = Regex.Match(svg, "<g class=\"series\" data-name=\"scatter\"[^>]*>(.*?)</g>").Groups[1].Value;
        Assert.Equal(2, Regex.Matches(markers, "<circle ").Count);
        Assert.Contains(">mixed &lt;&amp;&gt;</text>", svg);
        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
    }

    [Fact]
    public void AChartWithoutDataShowsAxesAndSaysSo()
    {
        var spec = new ChartSpec("nothing yet", "epoch", "loss", [new Series("train_loss", [])]);
        Assert.Contains(">no data</text>", Chart.ToSvg(spec));
        var png = Png.Decode(Chart.ToPng(spec), "empty.png");
        Assert.Equal((640, 400), (png.Width, png.Height));
        Assert.Contains(">no data</text>", Chart.ToSvg(spec with { Series = [] }));
    }

    [Fact]
    public void PngHasTheSizeAskedForAndTheSeriesColourWhereTheDataIs()
    {
        // A flat line at y = 0.5 from x = 0 to 1 on fixed 0..1 axes, and one marker at (0.25, 0.8).
        var spec = new ChartSpec("", "", "", [
            new Series("flat", Points(0, 0.5, 1, 0.5)),
            new Series("dot", Points(0.25, 0.8), SeriesStyle.Markers) { Color = Rgb.FromHex("#d62728") },
        ], YMin: 0, YMax: 1) { XMin = 0, XMax = 1, Legend = LegendPosition.None, Grid = false };
        var png = Png.Decode(Chart.ToPng(spec, 500, 300), "chart.png");
        Assert.Equal((500, 300, PngColorType.Rgb), (png.Width, png.Height, png.ColorType));

        var plot = ChartLayout.Build(spec, 500, 300).Plot;
        Rgb Pixel(double x, double y) { int i = ((int)y * png.Width + (int)x) * 3; return new Rgb(png.Data[i], png.Data[i + 1], png.Data[i + 2]); }
        double Px(double v) => plot.Left + v * plot.Width;
        double Py(double v) => plot.Bottom - v * plot.Height;

        // A 2 px line covers at least one pixel row fully; search the row and its neighbours.
        double lineY = Py(0.5);
        Assert.Contains(Palette.Tab10[0], new[] { -1, 0, 1 }.Select(d => Pixel(Px(0.6), lineY + d)));
        Assert.Equal(Rgb.FromHex("#d62728"), Pixel(Px(0.25), Py(0.8)));
        Assert.Equal(Rgb.White, Pixel(Px(0.75), Py(0.25)));   // nothing drawn there
        Assert.Equal(Rgb.White, Pixel(Px(0.6), lineY - 6));
    }

    [Fact]
    public void LineStylesAndThePaletteFollowD2lsProgressBoard()
    {
        var curve = new[]
        {
            new CurvePoint(0.5, "train_loss", 1.2), new CurvePoint(1, "train_loss", 0.9),
            new CurvePoint(1, "val_loss", 0.8), new CurvePoint(1, "val_acc", 0.7),
        };
        var spec = TrainingChart.FromCurve(curve, "run 1");
        Assert.Equal(["train_loss", "val_loss", "val_acc"], spec.Series.Select(s => s.Name));
        Assert.Equal([LineDash.Solid, LineDash.Dashed, LineDash.DashDot], spec.Series.Select(s => s.Dash));
        Assert.Equal([(0.5, 1.2), (1, 0.9)], spec.Series[0].Points);
        Assert.Equal("epoch", spec.XLabel);
    }

    [Fact]
    public void EdfRisesFromZeroToOneWithTiesAsOneJump()
    {
        var edf = Series.Edf("errors", [0.3, 0.1, 0.2, 0.2, double.NaN]);
        Assert.Equal(SeriesStyle.Step, edf.Style);
        Assert.Equal([(0.1, 0), (0.1, 0.25), (0.2, 0.75), (0.3, 1)], edf.Points);
    }

    [Fact]
    public void TheLegendAvoidsTheData()
    {
        // Data fills the upper right: the legend goes to the next corner in matplotlib's order, upper left.
        var spec = new ChartSpec("", "", "", [new Series("rising", Points(0, 0, 0.6, 0.2, 0.8, 0.9, 1, 1))]);
        var scene = ChartLayout.Build(spec, 640, 400);
        var legend = scene.Shapes.OfType<RectShape>().Single().Box;
        Assert.True(legend.Left < scene.Plot.Left + 20 && legend.Top < scene.Plot.Top + 20, $"legend at {legend}");

        var fixedCorner = ChartLayout.Build(spec with { Legend = LegendPosition.LowerRight }, 640, 400).Shapes.OfType<RectShape>().Single().Box;
        Assert.True(fixedCorner.Right > scene.Plot.Right - 20 && fixedCorner.Bottom > scene.Plot.Bottom - 20);
        Assert.Empty(ChartLayout.Build(spec with { Legend = LegendPosition.None }, 640, 400).Shapes.OfType<RectShape>());
    }

    [Fact]
    public void SvgAndPngComeFromTheSameLayout()
    {
        var spec = Training();
        var scene = ChartLayout.Build(spec, 640, 400);
        var svg = Chart.ToSvg(spec);
        // The clip rectangle and every tick label of the layout appear in the SVG; the PNG is drawn from the same scene.
        Assert.Contains($"<rect x=\"{scene.Clip.Left}\" y=\"{scene.Clip.Top}\"", svg);
        foreach (var label in scene.X.Labels.Concat(scene.Y.Labels)) Assert.Contains($">{label}</text>", svg);
        Assert.Equal(PngRenderer.Render(scene).ToPng(), Chart.ToPng(spec));
    }

    [Fact]
    public void SaveWritesBothFilesAndReplacesOldOnesWithoutLeavingTemporaries()
    {
        string path = Path.Combine(_dir.FullName, "charts", "loss");
        Chart.Save(Training(), path);
        Chart.Save(Training() with { Title = "second" }, path);
        Assert.Contains(">second</text>", File.ReadAllText(path + ".svg"));
        var png = Png.Read(path + ".png");
        Assert.Equal((640, 400), (png.Width, png.Height));
        Assert.Equal(["loss.png", "loss.svg"], Directory.GetFiles(Path.Combine(_dir.FullName, "charts")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Chart.ToPng(Training(), 100, 50));
        Assert.Throws<ArgumentException>(() => Chart.ToSvg(Training() with { YMin = 1, YMax = 0 }));
        Assert.Throws<ArgumentException>(() => Chart.ToSvg(Training() with { YScale = AxisScale.Log10, YMin = 0 }));
    }
}
