using NetBlocks.Reporting.Images;

namespace NetBlocks.Reporting.Charts;

/// <summary>
/// Turns a <see cref="ChartSpec"/> into a <see cref="ChartScene"/>: margins sized to the text around the plot,
/// nice ticks on both axes, series mapped to pixels, the legend in the corner the data leaves free.
/// Text is measured with <see cref="BitmapFont"/> metrics (the SVG uses a monospace font of the same advance).
/// </summary>
internal static class ChartLayout
{
    public const int MinWidth = 160, MinHeight = 120;

    private const int Pad = 10;          // outer margin
    private const int TickLength = 4;
    private const int TickGap = 4;       // between a tick mark and its label
    private const int SampleLength = 24; // the line drawn in front of a legend entry

    private static readonly Rgb Ink = Rgb.FromHex("#222222");
    private static readonly Rgb Frame = Rgb.FromHex("#444444");
    private static readonly Rgb GridColor = Rgb.FromHex("#e6e6e6");
    private static readonly Rgb LegendEdge = Rgb.FromHex("#cccccc");
    private static readonly Rgb Muted = Rgb.FromHex("#888888");

    private static int CapHeight(int scale) => BitmapFont.CapHeight * scale;
    private static int Descent(int scale) => BitmapFont.Descent * scale;

    public static ChartScene Build(ChartSpec spec, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(spec.Series);
        if (width < MinWidth || height < MinHeight)
            throw new ArgumentOutOfRangeException(nameof(width), $"chart size {width}x{height} is below the minimum {MinWidth}x{MinHeight}");

        // The points each axis can show: finite, and positive on a log axis.
        var data = spec.Series.Select(s => (s.Points ?? []).Where(p => Shows(p.X, spec.XScale) && Shows(p.Y, spec.YScale)).ToArray()).ToArray();
        var all = data.SelectMany(d => d).ToArray();
        double xMin = all.Length > 0 ? all.Min(p => p.X) : double.NaN, xMax = all.Length > 0 ? all.Max(p => p.X) : double.NaN;
        double yMin = all.Length > 0 ? all.Min(p => p.Y) : double.NaN, yMax = all.Length > 0 ? all.Max(p => p.Y) : double.NaN;

        // Bitmap-font scale: 1 up to about 1000x600, 2 above (the title one more).
        int textScale = width >= 1000 && height >= 600 ? 2 : 1, titleScale = textScale + 1;

        // Vertical margins first: they fix the plot height, hence the y ticks, whose widest label fixes the left margin.
        bool hasTitle = !string.IsNullOrEmpty(spec.Title), hasXLabel = !string.IsNullOrEmpty(spec.XLabel), hasYLabel = !string.IsNullOrEmpty(spec.YLabel);
        int top = Pad + (hasTitle ? CapHeight(titleScale) + Descent(titleScale) + 8 : 4);
        int bottom = height - Pad - TickLength - TickGap - CapHeight(textScale) - Descent(textScale)
                     - (hasXLabel ? 6 + CapHeight(textScale) + Descent(textScale) : 0);
        var y = Axis(spec.YScale, yMin, yMax, Math.Clamp((bottom - top) / 45, 2, 8), spec.YMin, spec.YMax);

        int yLabelsWidth = y.Labels.Count == 0 ? 0 : y.Labels.Max(l => BitmapFont.MeasureWidth(l, textScale));
        int left = Pad + (hasYLabel ? CapHeight(textScale) + Descent(textScale) + 8 : 0) + yLabelsWidth + TickGap + TickLength;
        int right = width - 16;
        AxisTicks x = XAxis(right);
        // The last x label is centred on the right edge when the axis ends on a tick: leave room for its half.
        if (x.Labels.Count > 0) right = width - Math.Max(16, BitmapFont.MeasureWidth(x.Labels[^1], textScale) / 2 + 6);
        x = XAxis(right);
        AxisTicks XAxis(int r) => Axis(spec.XScale, xMin, xMax, Math.Clamp((r - left) / 80, 2, 10), spec.XMin, spec.XMax);

        // Frame lines run through pixel centres so a 1 px stroke is crisp; data maps onto the frame.
        var plot = new PlotBox(left + 0.5, top + 0.5, right + 0.5, bottom + 0.5);
        // Clip a little outside the frame, so markers and thick lines at the very edge of the range stay whole.
        double margin = Math.Ceiling(spec.Series.Select(s => s.Style == SeriesStyle.Markers ? s.MarkerRadius : s.Width / 2).DefaultIfEmpty(1).Max()) + 1;
        var clip = new PlotBox(plot.Left - margin, plot.Top - margin, plot.Right + margin, plot.Bottom + margin);
        double Px(double v) => plot.Left + x.Fraction(v) * plot.Width;
        double Py(double v) => plot.Bottom - y.Fraction(v) * plot.Height;
        double Crisp(double p) => Math.Floor(p) + 0.5;

        var shapes = new List<Shape>();
        if (spec.Grid)
        {
            foreach (double t in y.Ticks)
                shapes.Add(new LineShape([(plot.Left, Crisp(Py(t))), (plot.Right, Crisp(Py(t)))], GridColor, 1, [], false));
            foreach (double t in x.Ticks)
                shapes.Add(new LineShape([(Crisp(Px(t)), plot.Top), (Crisp(Px(t)), plot.Bottom)], GridColor, 1, [], false));
        }

        // Series, mapped to pixels; Step expands each point into a horizontal then a vertical segment.
        var pixels = new (double X, double Y)[spec.Series.Count][];
        for (int i = 0; i < spec.Series.Count; i++)
        {
            var s = spec.Series[i];
            var pts = s.Style == SeriesStyle.Step ? Staircase(data[i]) : data[i];
            pixels[i] = pts.Select(p => (Px(p.X), Py(p.Y))).ToArray();
            Rgb color = ColorOf(s, i);
            shapes.Add(s.Style == SeriesStyle.Markers
                ? new MarkersShape(pixels[i], color, s.MarkerRadius, true, s.Name)
                : new LineShape(pixels[i], color, s.Width, DashPattern(s.Dash, s.Width), true, s.Name));
        }
        if (all.Length == 0)
            shapes.Add(new TextShape("no data", (plot.Left + plot.Right) / 2, Math.Round((plot.Top + plot.Bottom) / 2 + CapHeight(textScale) / 2.0), Muted, textScale, TextAnchor.Middle));

        // Frame, ticks and their labels.
        shapes.Add(new LineShape([(plot.Left, plot.Top), (plot.Right, plot.Top), (plot.Right, plot.Bottom), (plot.Left, plot.Bottom), (plot.Left, plot.Top)],
                                 Frame, 1, [], false));
        for (int i = 0; i < y.Ticks.Count; i++)
        {
            double py = Crisp(Py(y.Ticks[i]));
            shapes.Add(new LineShape([(plot.Left - TickLength, py), (plot.Left, py)], Frame, 1, [], false));
            shapes.Add(new TextShape(y.Labels[i], left - TickLength - TickGap, Math.Round(py + CapHeight(textScale) / 2.0), Ink, textScale, TextAnchor.End));
        }
        for (int i = 0; i < x.Ticks.Count; i++)
        {
            double px = Crisp(Px(x.Ticks[i]));
            shapes.Add(new LineShape([(px, plot.Bottom), (px, plot.Bottom + TickLength)], Frame, 1, [], false));
            shapes.Add(new TextShape(x.Labels[i], px, bottom + TickLength + TickGap + CapHeight(textScale), Ink, textScale, TextAnchor.Middle));
        }

        double centreX = Math.Round((plot.Left + plot.Right) / 2);
        if (hasTitle)
            shapes.Add(new TextShape(spec.Title, centreX, Pad + CapHeight(titleScale), Ink, titleScale, TextAnchor.Middle));
        if (hasXLabel)
            shapes.Add(new TextShape(spec.XLabel, centreX, height - Pad - Descent(textScale), Ink, textScale, TextAnchor.Middle));
        if (hasYLabel)
            shapes.Add(new TextShape(spec.YLabel, Pad + CapHeight(textScale), Math.Round((plot.Top + plot.Bottom) / 2), Ink, textScale, TextAnchor.Middle, Vertical: true));

        AddLegend(spec, plot, pixels, shapes, textScale);
        return new ChartScene(width, height, Rgb.White, plot, clip, x, y, shapes);
    }

    public static Rgb ColorOf(Series s, int index) => s.Color ?? Palette.Color(index);

    private static bool Shows(double v, AxisScale scale) => double.IsFinite(v) && (scale == AxisScale.Linear || v > 0);

    private static AxisTicks Axis(AxisScale scale, double min, double max, int maxIntervals, double? fixedMin, double? fixedMax) =>
        scale == AxisScale.Log10
            ? AxisTicks.Log10(min, max, maxIntervals, fixedMin, fixedMax)
            : AxisTicks.Linear(min, max, maxIntervals, fixedMin, fixedMax);

    /// <summary>(x0,y0), (x1,y1), ... → (x0,y0), (x1,y0), (x1,y1), (x2,y1), ...: 2n-1 vertices.</summary>
    internal static (double X, double Y)[] Staircase((double X, double Y)[] points)
    {
        if (points.Length == 0) return [];
        var stairs = new (double X, double Y)[2 * points.Length - 1];
        stairs[0] = points[0];
        for (int i = 1; i < points.Length; i++)
        {
            stairs[2 * i - 1] = (points[i].X, points[i - 1].Y);
            stairs[2 * i] = points[i];
        }
        return stairs;
    }

    /// <summary>
    /// On/off lengths in pixels, scaled with the stroke width as matplotlib does. Strokes have round caps, which
    /// add half a width at each end of every dash: short (0.5 px) dashes become dots, and gaps shrink by one width.
    /// </summary>
    internal static double[] DashPattern(LineDash dash, double width) => dash switch
    {
        LineDash.Dashed => [2.5 * width, 3 * width],
        LineDash.Dotted => [0.5, 2.5 * width],
        LineDash.DashDot => [3 * width, 2.5 * width, 0.5, 2.5 * width],
        _ => [],
    };

    private static void AddLegend(ChartSpec spec, PlotBox plot, (double X, double Y)[][] pixels, List<Shape> shapes, int textScale)
    {
        var entries = spec.Series.Select((s, i) => (Series: s, Index: i)).Where(e => !string.IsNullOrEmpty(e.Series.Name)).ToArray();
        if (spec.Legend == LegendPosition.None || entries.Length == 0) return;

        int rowHeight = BitmapFont.LineHeight * textScale + 4;
        int textWidth = entries.Max(e => BitmapFont.MeasureWidth(e.Series.Name, textScale));
        int w = 8 + SampleLength + 6 + textWidth + 8, h = 6 + entries.Length * rowHeight;
        const int inset = 8;
        (double X, double Y) Corner(LegendPosition p) => p switch
        {
            LegendPosition.UpperLeft => (plot.Left + inset, plot.Top + inset),
            LegendPosition.LowerLeft => (plot.Left + inset, plot.Bottom - inset - h),
            LegendPosition.LowerRight => (plot.Right - inset - w, plot.Bottom - inset - h),
            _ => (plot.Right - inset - w, plot.Top + inset),
        };
        var position = spec.Legend;
        if (position == LegendPosition.Best)
        {
            // matplotlib's order of preference breaks ties.
            LegendPosition[] candidates = [LegendPosition.UpperRight, LegendPosition.UpperLeft, LegendPosition.LowerLeft, LegendPosition.LowerRight];
            position = candidates.MinBy(c => Covered(Corner(c), w, h, pixels));
        }
        var (x0, y0) = Corner(position);
        (x0, y0) = (Math.Floor(x0), Math.Floor(y0));   // whole pixels, so the 1 px outline is crisp
        shapes.Add(new RectShape(new PlotBox(x0 + 0.5, y0 + 0.5, x0 + w + 0.5, y0 + h + 0.5), Rgb.White, 0.85, LegendEdge));
        for (int k = 0; k < entries.Length; k++)
        {
            var (s, i) = entries[k];
            double mid = y0 + 4 + k * rowHeight + rowHeight / 2.0;
            Rgb color = ColorOf(s, i);
            shapes.Add(s.Style == SeriesStyle.Markers
                ? new MarkersShape([(x0 + 8 + SampleLength / 2.0, mid)], color, s.MarkerRadius, false)
                : new LineShape([(x0 + 8, mid), (x0 + 8 + SampleLength, mid)], color, s.Width, DashPattern(s.Dash, s.Width), false));
            shapes.Add(new TextShape(s.Name, x0 + 8 + SampleLength + 6, Math.Round(mid + CapHeight(textScale) / 2.0), Ink, textScale, TextAnchor.Start));
        }
    }

    /// <summary>How many data pixels (vertices, and samples every 4 px along segments) fall inside a candidate legend box.</summary>
    private static int Covered((double X, double Y) corner, int w, int h, (double X, double Y)[][] pixels)
    {
        int count = 0;
        bool Inside(double x, double y) => x >= corner.X && x <= corner.X + w && y >= corner.Y && y <= corner.Y + h;
        foreach (var line in pixels)
            for (int i = 0; i < line.Length; i++)
            {
                if (Inside(line[i].X, line[i].Y)) count++;
                if (i == 0) continue;
                var (a, b) = (line[i - 1], line[i]);
                int samples = (int)Math.Min(1000, Math.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y)) / 4);
                for (int k = 1; k < samples; k++)
                {
                    double t = k / (double)samples;
                    if (Inside(a.X + (b.X - a.X) * t, a.Y + (b.Y - a.Y) * t)) count++;
                }
            }
        return count;
    }
}
