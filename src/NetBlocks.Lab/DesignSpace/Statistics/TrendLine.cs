namespace NetBlocks.DesignSpace.Statistics;

/// <summary>The least-squares line y ≈ Intercept + Slope·x (slope 0 when x does not vary).</summary>
public sealed record TrendLine(double Intercept, double Slope)
{
    /// <exception cref="ArgumentException">no points.</exception>
    public static TrendLine Fit(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count == 0) throw new ArgumentException("a trend line needs at least one point");
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y), sxy = 0, sxx = 0;
        foreach (var (x, y) in points) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx); }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        return new TrendLine(my - slope * mx, slope);
    }

    public double At(double x) => Intercept + Slope * x;
}
