using System.Globalization;
using System.Text;
using NetBlocks.Reporting.Images;

namespace NetBlocks.Reporting.Charts;

/// <summary>
/// Writes a <see cref="ChartScene"/> as SVG 1.1. Each data series is one element with <c>class="series"</c> and
/// <c>data-name</c>: a <c>&lt;polyline&gt;</c> for lines and steps, a <c>&lt;g&gt;</c> of <c>&lt;circle&gt;</c>s for markers.
/// Text uses a monospace font at 10 px per scale unit, whose 0.6 em advance equals the bitmap font's 6 px.
/// </summary>
internal static class SvgRenderer
{
    private const string FontFamily = "DejaVu Sans Mono, Menlo, Consolas, monospace";

    public static string Render(ChartScene scene)
    {
        var svg = new StringBuilder();
        var clip = scene.Clip;
        // Charts may be inlined together in one HTML page: the id is derived from the clip box, so equal ids mean equal boxes.
        string clipId = $"nb-plot-{N(clip.Left)}-{N(clip.Top)}-{N(clip.Width)}-{N(clip.Height)}".Replace('.', '_');
        svg.Append($"""<svg xmlns="http://www.w3.org/2000/svg" width="{scene.Width}" height="{scene.Height}" viewBox="0 0 {scene.Width} {scene.Height}" font-family="{FontFamily}">""").Append('\n');
        svg.Append($"""<rect width="{scene.Width}" height="{scene.Height}" fill="{scene.Background.ToHex()}"/>""").Append('\n');
        svg.Append($"""<defs><clipPath id="{clipId}"><rect x="{N(clip.Left)}" y="{N(clip.Top)}" width="{N(clip.Width)}" height="{N(clip.Height)}"/></clipPath></defs>""").Append('\n');

        foreach (var shape in scene.Shapes)
        {
            switch (shape)
            {
                case RectShape r:
                    svg.Append($"""<rect x="{N(r.Box.Left)}" y="{N(r.Box.Top)}" width="{N(r.Box.Width)}" height="{N(r.Box.Height)}" fill="{r.Fill.ToHex()}" fill-opacity="{N(r.Opacity)}" """);
                    svg.Append(r.Stroke is { } edge ? $"""stroke="{edge.ToHex()}" stroke-width="1"/>""" : "/>").Append('\n');
                    break;
                case LineShape l:
                    string stroke = $"""fill="none" stroke="{l.Color.ToHex()}" stroke-width="{N(l.Width)}" stroke-linecap="round" stroke-linejoin="round" """
                                    + (l.Dash.Length > 0 ? $"""stroke-dasharray="{string.Join(" ", l.Dash.Select(N))}" """ : "")
                                    + (l.Clipped ? $"""clip-path="url(#{clipId})" """ : "");
                    if (l.Series is null && l.Points.Length == 2)
                        svg.Append($"""<line x1="{N(l.Points[0].X)}" y1="{N(l.Points[0].Y)}" x2="{N(l.Points[1].X)}" y2="{N(l.Points[1].Y)}" {stroke}/>""");
                    else
                        svg.Append("<polyline ").Append(SeriesAttributes(l.Series))
                           .Append($"""points="{string.Join(" ", l.Points.Select(p => $"{N(p.X)},{N(p.Y)}"))}" {stroke}/>""");
                    svg.Append('\n');
                    break;
                case MarkersShape m:
                    svg.Append("<g ").Append(SeriesAttributes(m.Series)).Append($"""fill="{m.Color.ToHex()}" """)
                       .Append(m.Clipped ? $"""clip-path="url(#{clipId})">""" : ">");
                    foreach (var p in m.Points) svg.Append($"""<circle cx="{N(p.X)}" cy="{N(p.Y)}" r="{N(m.Radius)}"/>""");
                    svg.Append("</g>\n");
                    break;
                case TextShape t:
                    string anchor = t.Anchor switch { TextAnchor.Middle => "middle", TextAnchor.End => "end", _ => "start" };
                    svg.Append($"""<text x="{N(t.X)}" y="{N(t.Y)}" font-size="{10 * t.Scale}" text-anchor="{anchor}" fill="{t.Color.ToHex()}" """);
                    if (t.Vertical) svg.Append($"""transform="rotate(-90 {N(t.X)} {N(t.Y)})" """);
                    svg.Append('>').Append(Escape(t.Text)).Append("</text>\n");
                    break;
                default:
                    throw new InvalidOperationException($"no SVG for {shape.GetType().Name}");
            }
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string SeriesAttributes(string? series) =>
        series is null ? "" : $"""class="series" data-name="{Escape(series)}" """;

    /// <summary>A coordinate with at most two decimals, invariant culture ("12.5", not "12,50").</summary>
    private static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    internal static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                // Control characters are not allowed in XML 1.0.
                _ when char.IsControl(c) => "?",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
