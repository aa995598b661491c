namespace NetBlocks.Reporting.Images;

/// <summary>Where a text's anchor point sits along the text: its start, its middle or its end.</summary>
public enum TextAnchor { Start, Middle, End }

/// <summary>
/// A small RGB raster for charts. Coordinates are continuous: pixel (i, j) covers [i, i+1) x [j, j+1), so its
/// centre is (i + 0.5, j + 0.5), the same convention as SVG. Strokes and discs are anti-aliased by coverage
/// estimated from the distance between the pixel centre and the shape's edge (a one-pixel box filter), which
/// handles any width; strokes have round caps and joins, as SVG's <c>stroke-linecap="round"</c>.
/// Drawing is clipped to <see cref="SetClip"/>'s rectangle (the whole canvas by default).
/// </summary>
public sealed class RasterCanvas
{
    private readonly byte[] _rgb;
    private float[]? _coverage;   // scratch for one stroke: max coverage per pixel, so joins are not drawn twice
    private int _clipX0, _clipY0, _clipX1, _clipY1;

    public RasterCanvas(int width, int height, Rgb background)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"canvas size must be positive, got {width}x{height}");
        Width = width;
        Height = height;
        _rgb = new byte[width * height * 3];
        for (int i = 0; i < _rgb.Length; i += 3) (_rgb[i], _rgb[i + 1], _rgb[i + 2]) = (background.R, background.G, background.B);
        ResetClip();
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The pixels, (height, width, 3) row-major RGB.</summary>
    public ReadOnlySpan<byte> Pixels => _rgb;

    public Rgb this[int x, int y]
    {
        get
        {
            int i = Index(x, y);
            return new Rgb(_rgb[i], _rgb[i + 1], _rgb[i + 2]);
        }
    }

    /// <summary>Limits drawing to pixels whose centres lie in [x0, x1) x [y0, y1).</summary>
    public void SetClip(double x0, double y0, double x1, double y1)
    {
        _clipX0 = Math.Clamp((int)Math.Round(x0), 0, Width);
        _clipY0 = Math.Clamp((int)Math.Round(y0), 0, Height);
        _clipX1 = Math.Clamp((int)Math.Round(x1), _clipX0, Width);
        _clipY1 = Math.Clamp((int)Math.Round(y1), _clipY0, Height);
    }

    public void ResetClip() => (_clipX0, _clipY0, _clipX1, _clipY1) = (0, 0, Width, Height);

    /// <summary>Source-over blend of an opaque colour at <paramref name="alpha"/> (0..1) into one pixel, if inside the clip.</summary>
    public void Blend(int x, int y, Rgb color, double alpha)
    {
        if (x < _clipX0 || x >= _clipX1 || y < _clipY0 || y >= _clipY1 || alpha <= 0) return;
        int i = Index(x, y);
        if (alpha >= 1)
        {
            (_rgb[i], _rgb[i + 1], _rgb[i + 2]) = (color.R, color.G, color.B);
            return;
        }
        _rgb[i] = Over(_rgb[i], color.R, alpha);
        _rgb[i + 1] = Over(_rgb[i + 1], color.G, alpha);
        _rgb[i + 2] = Over(_rgb[i + 2], color.B, alpha);
    }

    private static byte Over(byte dst, byte src, double a) => (byte)(dst + (src - dst) * a + 0.5);

    /// <summary>Fills the pixels whose centres lie in [x0, x1) x [y0, y1) (no anti-aliasing: chart rectangles sit on the pixel grid).</summary>
    public void FillRect(double x0, double y0, double x1, double y1, Rgb color, double alpha = 1)
    {
        int ix0 = (int)Math.Max(_clipX0, Math.Round(Math.Min(x0, x1))), ix1 = (int)Math.Min(_clipX1, Math.Round(Math.Max(x0, x1)));
        int iy0 = (int)Math.Max(_clipY0, Math.Round(Math.Min(y0, y1))), iy1 = (int)Math.Min(_clipY1, Math.Round(Math.Max(y0, y1)));
        for (int y = iy0; y < iy1; y++)
            for (int x = ix0; x < ix1; x++) Blend(x, y, color, alpha);
    }

    /// <summary>An anti-aliased disc of radius <paramref name="r"/> centred at (<paramref name="cx"/>, <paramref name="cy"/>).</summary>
    public void FillCircle(double cx, double cy, double r, Rgb color)
    {
        if (!double.IsFinite(cx) || !double.IsFinite(cy)) return;
        int x0 = Math.Max(_clipX0, (int)Math.Floor(cx - r - 1)), x1 = Math.Min(_clipX1, (int)Math.Ceiling(cx + r + 1));
        int y0 = Math.Max(_clipY0, (int)Math.Floor(cy - r - 1)), y1 = Math.Min(_clipY1, (int)Math.Ceiling(cy + r + 1));
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                Blend(x, y, color, Math.Clamp(r + 0.5 - d, 0, 1));
            }
    }

    public void DrawLine(double x0, double y0, double x1, double y1, Rgb color, double width, ReadOnlySpan<double> dash = default) =>
        StrokePolyline([(x0, y0), (x1, y1)], color, width, dash);

    /// <summary>
    /// Strokes a polyline of the given <paramref name="width"/> with round caps and joins. <paramref name="dash"/>
    /// alternates on and off lengths in pixels (as SVG's stroke-dasharray, the pattern continuing across vertices);
    /// empty = solid. A pixel's coverage is the largest over all pieces, so overlapping segments don't darken joins.
    /// </summary>
    public void StrokePolyline(ReadOnlySpan<(double X, double Y)> points, Rgb color, double width, ReadOnlySpan<double> dash = default)
    {
        if (points.Length == 0 || width <= 0) return;
        _coverage ??= new float[Width * Height];
        var dirty = new Dirty(int.MaxValue, int.MaxValue, int.MinValue, int.MinValue);
        double half = width / 2;
        if (points.Length == 1)
        {
            CoverSegment(points[0], points[0], half, ref dirty);
        }
        else if (dash.IsEmpty || Sum(dash) <= 0)
        {
            for (int i = 1; i < points.Length; i++) CoverSegment(points[i - 1], points[i], half, ref dirty);
        }
        else
        {
            int k = 0;
            double left = Math.Max(0, dash[0]);   // length left in the current dash entry
            for (int i = 1; i < points.Length; i++)
            {
                var (a, b) = (points[i - 1], points[i]);
                double length = Math.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y));
                if (!double.IsFinite(length)) continue;
                double at = 0;
                while (at < length)
                {
                    double step = Math.Min(left, length - at);
                    if (k % 2 == 0) CoverSegment(Lerp(a, b, at / length), Lerp(a, b, (at + step) / length), half, ref dirty);
                    at += step;
                    left -= step;
                    if (left <= 1e-12) { k = (k + 1) % dash.Length; left = Math.Max(0, dash[k]); }
                }
            }
        }
        for (int y = dirty.Y0; y < dirty.Y1; y++)
            for (int x = dirty.X0; x < dirty.X1; x++)
            {
                ref float c = ref _coverage[y * Width + x];
                if (c > 0) { Blend(x, y, color, c); c = 0; }
            }
    }

    private record struct Dirty(int X0, int Y0, int X1, int Y1);

    /// <summary>Raises the coverage of pixels near segment a-b: <c>coverage = clamp(half + 0.5 - distance(centre, segment), 0, 1)</c>.</summary>
    private void CoverSegment((double X, double Y) a, (double X, double Y) b, double half, ref Dirty dirty)
    {
        if (!double.IsFinite(a.X) || !double.IsFinite(a.Y) || !double.IsFinite(b.X) || !double.IsFinite(b.Y)) return;
        double reach = half + 1;
        int x0 = (int)Math.Max(_clipX0, Math.Floor(Math.Min(a.X, b.X) - reach));
        int x1 = (int)Math.Min(_clipX1, Math.Ceiling(Math.Max(a.X, b.X) + reach));
        int y0 = (int)Math.Max(_clipY0, Math.Floor(Math.Min(a.Y, b.Y) - reach));
        int y1 = (int)Math.Min(_clipY1, Math.Ceiling(Math.Max(a.Y, b.Y) + reach));
        if (x0 >= x1 || y0 >= y1) return;
        dirty = new Dirty(Math.Min(dirty.X0, x0), Math.Min(dirty.Y0, y0), Math.Max(dirty.X1, x1), Math.Max(dirty.Y1, y1));
        double dx = b.X - a.X, dy = b.Y - a.Y, len2 = dx * dx + dy * dy;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                double px = x + 0.5 - a.X, py = y + 0.5 - a.Y;
                double t = len2 > 0 ? Math.Clamp((px * dx + py * dy) / len2, 0, 1) : 0;
                double ex = px - t * dx, ey = py - t * dy;
                float c = (float)Math.Clamp(half + 0.5 - Math.Sqrt(ex * ex + ey * ey), 0, 1);
                ref float slot = ref _coverage![y * Width + x];
                if (c > slot) slot = c;
            }
    }

    /// <summary>
    /// Draws <paramref name="text"/> with <see cref="BitmapFont"/> at integer <paramref name="scale"/>. (x, y) is the
    /// anchor on the baseline; <paramref name="vertical"/> turns the text 90 degrees counter-clockwise (reading
    /// bottom to top, as a y-axis label), about the anchor.
    /// </summary>
    public void DrawText(string text, double x, double y, Rgb color, int scale = 1, TextAnchor anchor = TextAnchor.Start, bool vertical = false)
    {
        int w = BitmapFont.MeasureWidth(text, scale);
        double start = anchor switch { TextAnchor.Middle => w / 2.0, TextAnchor.End => w, _ => 0 };
        int ax = (int)Math.Round(x), ay = (int)Math.Round(y);
        int u0 = -(int)Math.Round(start);  // offset along the text of its first column
        for (int i = 0; i < text.Length; i++)
            for (int row = 0; row < BitmapFont.CapHeight + BitmapFont.Descent; row++)
                for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                {
                    if (!BitmapFont.IsSet(text[i], col, row)) continue;
                    int u = u0 + (i * BitmapFont.Advance + col) * scale;   // along the text
                    int v = (row - BitmapFont.CapHeight) * scale;          // down from the baseline
                    if (vertical) FillRect(ax + v, ay - u - scale, ax + v + scale, ay - u, color);
                    else FillRect(ax + u, ay + v, ax + u + scale, ay + v + scale, color);
                }
    }

    /// <summary>The canvas as an RGB PNG.</summary>
    public byte[] ToPng() => Png.Encode(_rgb, Width, Height, PngColorType.Rgb);

    private int Index(int x, int y)
    {
        if ((uint)x >= Width || (uint)y >= Height) throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) is outside {Width}x{Height}");
        return (y * Width + x) * 3;
    }

    private static (double X, double Y) Lerp((double X, double Y) a, (double X, double Y) b, double t) =>
        (a.X + (b.X - a.X) * t, a.Y + (b.Y - a.Y) * t);

    private static double Sum(ReadOnlySpan<double> values)
    {
        double s = 0;
        foreach (double v in values) s += Math.Max(0, v);
        return s;
    }
}
