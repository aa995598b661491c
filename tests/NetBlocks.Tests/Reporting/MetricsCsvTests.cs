using NetBlocks.Reporting.Charts;
using NetBlocks.Training;

namespace NetBlocks.Tests.Reporting;

public sealed class MetricsCsvTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("netblocks-csv-");
    public void Dispose() => _dir.Delete(recursive: true);

    private static readonly EpochMetrics[] Epochs =
    [
        new(1, 0.8125, 0.70078125, 0.5625, 0.7891, 12.5, 4800),
        new(2, 0.1 + 0.2, 0.9, double.NaN, double.PositiveInfinity, 11, 5120.25),
    ];

    [Fact]
    public void FormatWritesTheHeaderAndExactInvariantNumbers() =>
        Assert.Equal(
            "epoch,train_loss,train_acc,val_loss,val_acc,seconds,images_per_s\n" +
            "1,0.8125,0.70078125,0.5625,0.7891,12.5,4800\n" +
            "2,0.30000000000000004,0.9,nan,inf,11,5120.25\n",
            MetricsCsv.Format(Epochs));

    [Fact]
    public void WriteReplacesTheFileAtomically()
    {
        string path = Path.Combine(_dir.FullName, "metrics.csv");
        MetricsCsv.Write(path, Epochs[..1]);
        MetricsCsv.Write(path, Epochs);
        Assert.Equal(MetricsCsv.Format(Epochs), File.ReadAllText(path));
        Assert.Equal(["metrics.csv"], Directory.GetFiles(_dir.FullName).Select(Path.GetFileName));
        Assert.Equal("epoch,train_loss,train_acc,val_loss,val_acc,seconds,images_per_s\n", MetricsCsv.Format([]));
    }
}
