using System.Text.Json;
using NetBlocks.Benchmarking;
using NetBlocks.Functional;

namespace NetBlocks.Tests.Benchmarking;

/// <summary>The bench harness on a tiny configuration: every field present and sane, the profile, the JSON, the errors.</summary>
[Collection("Memory")] // times steps and reads process-wide GC counters: not alongside the parallel tests
public class ModelBenchmarkTests : IDisposable
{
    /// <summary>Leaves no benchmark-sized buffers in the shared pool for the memory test that runs in this collection.</summary>
    public void Dispose() => ExecutionContext.Default.Pool.Clear();

    [Fact]
    public void TrainReportsThroughputFlopsMemoryAndAProfile()
    {
        var r = ModelBenchmark.Train(new BenchSettings("vgg11/4", Resize: 32, Batch: 4, Steps: 3, Warmup: 1, Threads: 1, Profile: true));
        Assert.Equal("train", r.Mode);
        Assert.Equal(3, r.StepSeconds.Length);
        Assert.True(r.ImagesPerSecond > 0);
        Assert.True(r.MacsPerImage > 0);
        Assert.Equal(3 * 2.0 * r.MacsPerImage * r.ImagesPerSecond / 1e9, r.Gflops, 6);
        Assert.True(r.PeakBytes > 0);
        Assert.Contains(r.Profile, p => p.Op.StartsWith("Conv2dBackward"));
        Assert.Contains(r.Profile, p => p.Op == "[phase] backward");
        Assert.False(OpProfiler.Enabled); // switched off again

        using var doc = JsonDocument.Parse(BenchReport.Json(r));
        var root = doc.RootElement;
        foreach (var field in new[] { "model", "resize", "batch", "threads", "images_per_s", "gflops", "peak_bytes", "gc_bytes_per_step" })
            Assert.True(root.TryGetProperty(field, out _), $"missing {field}");
        Assert.Equal("vgg11/4", root.GetProperty("model").GetString());
        Assert.Equal(32, root.GetProperty("resize").GetInt32());
        Assert.Contains("images/s", BenchReport.Text(r));
    }

    [Fact]
    public void InferRunsWithoutAGraph()
    {
        var r = ModelBenchmark.Infer(new BenchSettings("regnetx32", Resize: 32, Batch: 1, Steps: 2, Warmup: 1, Threads: 1));
        Assert.Equal("infer", r.Mode);
        Assert.Equal(1 * 2.0 * r.MacsPerImage * r.ImagesPerSecond / 1e9, r.Gflops, 6);
        Assert.Empty(r.Profile);
    }

    [Fact]
    public void InferRunsUnderTheInferencePlanUnlessToldNotTo()
    {
        var modules = NetBlocks.Models.ModelZoo.CreateBuilt("regnetx32", [1, 1, 32, 32]).NamedModules().Select(m => m.Module).ToList();
        int batchNorms = modules.Count(m => m is NetBlocks.Nn.BatchNorm2d), convolutions = modules.Count(m => m is NetBlocks.Nn.Conv2d);
        var folded = ModelBenchmark.Infer(new BenchSettings("regnetx32", Resize: 32, Batch: 1, Steps: 1, Warmup: 0, Threads: 1));
        Assert.Equal(batchNorms, folded.FoldedConvolutions);
        Assert.Equal(convolutions, folded.PreparedConvolutions);
        Assert.InRange(folded.PackedConvolutions!.Value, 0, convolutions);
        // the stem's and each block's first two conv + bn + ReLU: the ReLU after the residual sum is not a convolution's
        Assert.InRange(folded.FusedRelus!.Value, 1, batchNorms - 1);
        Assert.Contains($"inference plan  {convolutions} convolution(s) prepared ({folded.PackedConvolutions} with weights packed once), " +
            $"{batchNorms} folded with their batch norm, {folded.FusedRelus} ReLU(s) in the convolution's store", BenchReport.Text(folded));
        Assert.Contains($"\"folded_convolutions\":{batchNorms},\"prepared_convolutions\":{convolutions},\"packed_convolutions\":{folded.PackedConvolutions},\"fused_relus\":{folded.FusedRelus}", BenchReport.Json(folded));

        var declared = ModelBenchmark.Infer(new BenchSettings("regnetx32", Resize: 32, Batch: 1, Steps: 1, Warmup: 0, Threads: 1, Fold: false));
        Assert.Null(declared.FoldedConvolutions);
        Assert.Contains("inference plan  none (--no-fold)", BenchReport.Text(declared));
        Assert.Contains("\"folded_convolutions\":null,\"prepared_convolutions\":null,\"packed_convolutions\":null,\"fused_relus\":null", BenchReport.Json(declared));
    }

    [Fact]
    public void GemmReportsGflops()
    {
        var r = GemmBenchmark.Run(64, threads: 1, repetitions: 3, warmup: 1);
        Assert.Equal(2.0 * 64 * 64 * 64 / r.MedianSeconds / 1e9, r.Gflops, 6);
        Assert.Contains("\"gflops\":", BenchReport.Json(r));
    }

    [Theory]
    [InlineData(0, 4, 1, "--resize")]
    [InlineData(32, 0, 1, "--batch")]
    [InlineData(32, 4, 0, "--steps")]
    public void BadSettingsNameTheOption(int resize, int batch, int steps, string option)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelBenchmark.Train(new BenchSettings("vgg11/4", resize, batch, steps)));
        Assert.Contains(option, e.Message);
    }
}
