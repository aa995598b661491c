using System.Text.Json;
using NetBlocks.Benchmarking;
using NetBlocks.Serialization;
using NetBlocks.Training;

namespace NetBlocks.Tests.Serialization;

/// <summary>The one rule for NaN and infinities in JSON: written as null, read back as NaN.</summary>
public class FiniteJsonTests
{
    [Fact]
    public void NonFiniteDoublesAndFloatsAreWrittenAsNull()
    {
        var json = FiniteJson.Serialize(new { a = double.NaN, b = double.PositiveInfinity, c = float.NegativeInfinity, d = 0.25, e = (double?)null, f = 1.5f });
        Assert.Equal("""{"a":null,"b":null,"c":null,"d":0.25,"e":null,"f":1.5}""", json);
    }

    [Fact]
    public void NullIsReadBackAsNaN()
    {
        var m = JsonSerializer.Deserialize<EpochMetrics>("""{"epoch":2,"train_loss":0.5,"train_acc":0.75,"val_loss":null,"val_acc":null,"seconds":1,"images_per_s":null}""", FiniteJson.Options)!;
        Assert.Equal(2, m.Epoch);
        Assert.True(double.IsNaN(m.ValLoss) && double.IsNaN(m.ValAccuracy) && double.IsNaN(m.ImagesPerSecond));
        Assert.Equal(0.5, m.TrainLoss);
    }

    [Fact]
    public void ADivergedEpochSurvivesTheCheckpointMetadataRoundTrip()
    {
        var progress = new TrainingProgress { Epoch = 1 };
        progress.History.Add(new EpochMetrics(1, 2.3, 0.1, double.PositiveInfinity, 0.1, 3, double.NaN));
        progress.Curve.Add(new CurvePoint(1, "val_loss", double.PositiveInfinity));
        var back = TrainingProgress.FromJson(progress.ToJson());
        Assert.True(double.IsNaN(back.History[0].ValLoss));
        Assert.Equal(2.3, back.History[0].TrainLoss);
        Assert.True(double.IsNaN(back.Curve[0].Value));
    }

    [Fact]
    public void WriterHelpersWriteNullForNonFiniteValues()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumberOrNull("x", double.NaN);
            w.WriteNumberOrNull("y", 3);
            w.WriteStartArray("z");
            w.WriteNumberOrNullValue(double.NegativeInfinity);
            w.WriteNumberOrNullValue(1);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        Assert.Equal("""{"x":null,"y":3,"z":[null,1]}""", System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void BenchJsonOfAStepTooShortToTimeIsValidJson()
    {
        // a step that took 0 s on the clock: images/s and GFLOP/s are infinite
        var r = new BenchResult("train", "nin", 28, 1, 1, 1, [0.0], 1000, 1, 1, 1, 0, 0, 0, 0, []);
        using var doc = JsonDocument.Parse(BenchReport.Json(r));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("images_per_s").ValueKind);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("gflops").ValueKind);
    }

    [Fact]
    public void GemmBenchJsonOfARunTooShortToTimeIsValidJson()
    {
        // a median of 0 s (below the timer's resolution) makes the rate +∞, which JSON cannot hold
        var r = new GemmBenchResult(Size: 1, Threads: 1, Repetitions: 3, Seconds: [0, 0, 0]);
        Assert.True(double.IsPositiveInfinity(r.Gflops));
        using var doc = JsonDocument.Parse(BenchReport.Json(r));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("gflops").ValueKind);
        Assert.Equal(0, doc.RootElement.GetProperty("median_s").GetDouble());
        Assert.Equal(1, doc.RootElement.GetProperty("size").GetInt32());
    }
}
