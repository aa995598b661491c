using NetBlocks.Training;

namespace NetBlocks.Reporting.Charts;

/// <summary>The live training plot of d2l's ProgressBoard: one line per metric against fractional epochs.</summary>
public static class TrainingChart
{
    /// <summary>
    /// One line per distinct <see cref="CurvePoint.Series"/> (train_loss, val_loss, val_acc, ...) in order of first
    /// appearance, styled as ProgressBoard does: colours C0, C1, ... and line styles '-', '--', '-.', ':' in turn.
    /// </summary>
    public static ChartSpec FromCurve(IEnumerable<CurvePoint> points, string title = "", string yLabel = "")
    {
        ArgumentNullException.ThrowIfNull(points);
        LineDash[] dashes = [LineDash.Solid, LineDash.Dashed, LineDash.DashDot, LineDash.Dotted];
        var series = points
            .GroupBy(p => p.Series)
            .Select((g, i) => new Series(g.Key, g.Select(p => (p.Epoch, p.Value)).ToArray()) { Dash = dashes[i % dashes.Length] })
            .ToArray();
        return new ChartSpec(title, "epoch", yLabel, series);
    }
}
