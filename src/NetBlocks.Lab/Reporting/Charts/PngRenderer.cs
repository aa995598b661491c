using NetBlocks.Reporting.Images;

namespace NetBlocks.Reporting.Charts;

/// <summary>Draws a <see cref="ChartScene"/> on a <see cref="RasterCanvas"/>, shape by shape, as the SVG does.</summary>
internal static class PngRenderer
{
    public static RasterCanvas Render(ChartScene scene)
    {
        var canvas = new RasterCanvas(scene.Width, scene.Height, scene.Background);
        foreach (var shape in scene.Shapes)
        {
            var clip = scene.Clip;
            bool clipped = shape is LineShape { Clipped: true } or MarkersShape { Clipped: true };
            if (clipped) canvas.SetClip(clip.Left, clip.Top, clip.Right, clip.Bottom);
            switch (shape)
            {
                case RectShape r:
                    // The box edges run through pixel centres: fill the pixels inside, outline the ones on the edges.
                    canvas.FillRect(r.Box.Left, r.Box.Top, r.Box.Right, r.Box.Bottom, r.Fill, r.Opacity);
                    if (r.Stroke is { } edge)
                        canvas.StrokePolyline([(r.Box.Left, r.Box.Top), (r.Box.Right, r.Box.Top), (r.Box.Right, r.Box.Bottom),
                                               (r.Box.Left, r.Box.Bottom), (r.Box.Left, r.Box.Top)], edge, 1);
                    break;
                case LineShape l:
                    canvas.StrokePolyline(l.Points, l.Color, l.Width, l.Dash);
                    break;
                case MarkersShape m:
                    foreach (var p in m.Points) canvas.FillCircle(p.X, p.Y, m.Radius, m.Color);
                    break;
                case TextShape t:
                    canvas.DrawText(t.Text, t.X, t.Y, t.Color, t.Scale, t.Anchor, t.Vertical);
                    break;
                default:
                    throw new InvalidOperationException($"no raster drawing for {shape.GetType().Name}");
            }
            if (clipped) canvas.ResetClip();
        }
        return canvas;
    }
}
