using System.Globalization;
using System.Text;
using NetBlocks.Training;

namespace NetBlocks.Reporting.Charts;

/// <summary>Per-epoch metrics as CSV, the table behind the training charts, readable by pandas or a spreadsheet.</summary>
public static class MetricsCsv
{
    public const string Header = "epoch,train_loss,train_acc,val_loss,val_acc,seconds,images_per_s";

    /// <summary>
    /// The header, then one line per epoch, '\n'-terminated. Numbers are invariant-culture and round-trip exactly
    /// (shortest form); NaN and infinities are written as Python does: nan, inf, -inf.
    /// </summary>
    public static string Format(IEnumerable<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var m in epochs)
        {
            sb.Append(m.Epoch.ToString(CultureInfo.InvariantCulture));
            foreach (double v in (double[])[m.TrainLoss, m.TrainAccuracy, m.ValLoss, m.ValAccuracy, m.Seconds, m.ImagesPerSecond])
                sb.Append(',').Append(Number(v));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Format"/>'s text to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Write(string path, IEnumerable<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.WriteAllText(path, Format(epochs));
    }

    private static string Number(double v) =>
        double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
}
