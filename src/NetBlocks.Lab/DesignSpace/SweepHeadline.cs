namespace NetBlocks.DesignSpace;

/// <summary>
/// The numbers a report's summary table shows for one sweep, read off its EDF (ties counted), so that the chart, the
/// table and <c>--json</c> agree.
/// </summary>
/// <param name="MinError">the lowest error (NaN without finished trials).</param>
/// <param name="MedianError">the lower median: the smallest e with F(e) ≥ 0.5.</param>
/// <param name="Reference">the best error over all sweeps of the report + <see cref="Margin"/>.</param>
/// <param name="NearBest">F(Reference): the fraction of this sweep's models within the margin of the best model of any sweep.</param>
public sealed record SweepHeadline(string Name, double MinError, double MedianError, double Reference, double NearBest)
{
    public const double Margin = 0.05;

    /// <summary>One headline per sweep; the reference error is shared. Sweeps without finished trials get NaN (JSON null).</summary>
    public static IReadOnlyList<SweepHeadline> Of(IReadOnlyList<SweepSummary> sweeps)
    {
        var mins = sweeps.Where(s => s.Edf.N > 0).Select(s => s.Edf.Steps[0].X).ToList();
        double reference = mins.Count > 0 ? mins.Min() + Margin : double.NaN;
        return [.. sweeps.Select(s => s.Edf.N == 0
            ? new SweepHeadline(s.Name, double.NaN, double.NaN, reference, double.NaN)
            : new SweepHeadline(s.Name, s.Edf.Steps[0].X, s.Edf.Quantile(0.5), reference, s.Edf.At(reference)))];
    }
}
