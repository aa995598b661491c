using System.Globalization;
using System.Text;
using System.Text.Json;
using NetBlocks.Serialization;

namespace NetBlocks.Benchmarking;

/// <summary>Text and one-line JSON renderings of benchmark results for `netblocks bench`.</summary>
public static class BenchReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Text(BenchResult r)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"{r.Mode} {r.Model} at {r.Resize}×{r.Resize}, batch {r.Batch}, {r.Threads} thread(s), {r.Steps} timed steps\n");
        sb.Append(Inv, $"  images/s        {r.ImagesPerSecond:F1} (median step {r.MedianStepSeconds * 1e3:F1} ms, best {r.MinStepSeconds * 1e3:F1} ms)\n");
        sb.Append(Inv, $"  effective       {r.Gflops:F1} GFLOP/s ({r.MacsPerImage / 1e6:F1} MMACs per image)\n");
        sb.Append(Inv, $"  peak memory     {r.PeakBytes / 1048576.0:F0} MiB working set; pool allocated {r.PoolAllocatedBytes / 1048576.0:F0} MiB, retained {r.PoolRetainedBytes / 1048576.0:F0} MiB\n");
        if (r.Mode == "infer")
            sb.Append(r.FoldedConvolutions is int folded
                ? string.Create(Inv, $"  inference plan  {r.PreparedConvolutions} convolution(s) prepared ({r.PackedConvolutions} with weights packed once), {folded} folded with their batch norm, {r.FusedRelus} ReLU(s) in the convolution's store\n")
                : "  inference plan  none (--no-fold): every module runs as declared\n");
        sb.Append(Inv, $"  GC per step     {r.GcBytesPerStep / 1024.0:F1} KiB (calling thread {r.GcBytesPerStepCallingThread / 1024.0:F1} KiB); gen0 {r.Gen0Collections}, gen2 {r.Gen2Collections} collections while timed\n");
        if (r.Profile.Count > 0)
        {
            double step = r.MedianStepSeconds;
            sb.Append("  profile (per step; ops include their kernels' parallel work)\n");
            foreach (var p in r.Profile)
                sb.Append(Inv, $"    {p.Op,-28} {p.SecondsPerStep * 1e3,9:F1} ms {100 * p.SecondsPerStep / step,6:F1}%  {p.CallsPerStep,6:0.#} calls\n");
        }
        return sb.ToString();
    }

    public static string Json(BenchResult r) => JsonLine(w =>
    {
        w.WriteStartObject();
        w.WriteString("mode", r.Mode);
        w.WriteString("model", r.Model);
        w.WriteNumber("resize", r.Resize);
        w.WriteNumber("batch", r.Batch);
        w.WriteNumber("threads", r.Threads);
        w.WriteNumber("steps", r.Steps);
        w.WriteNumberOrNull("images_per_s", Math.Round(r.ImagesPerSecond, 3));
        w.WriteNumberOrNull("median_step_s", Math.Round(r.MedianStepSeconds, 6));
        w.WriteNumberOrNull("min_step_s", Math.Round(r.MinStepSeconds, 6));
        w.WriteNumberOrNull("gflops", Math.Round(r.Gflops, 3));
        w.WriteNumber("macs_per_image", r.MacsPerImage);
        w.WriteNumber("peak_bytes", r.PeakBytes);
        w.WriteNumber("pool_allocated_bytes", r.PoolAllocatedBytes);
        w.WriteNumber("pool_retained_bytes", r.PoolRetainedBytes);
        w.WriteNumberOrNull("gc_bytes_per_step", Math.Round(r.GcBytesPerStep));
        w.WriteNumberOrNull("gc_bytes_per_step_calling_thread", Math.Round(r.GcBytesPerStepCallingThread));
        w.WriteNumber("gen0_collections", r.Gen0Collections);
        w.WriteNumber("gen2_collections", r.Gen2Collections);
        if (r.FoldedConvolutions is int folded) w.WriteNumber("folded_convolutions", folded);
        else w.WriteNull("folded_convolutions");
        if (r.PreparedConvolutions is int prepared) w.WriteNumber("prepared_convolutions", prepared);
        else w.WriteNull("prepared_convolutions");
        if (r.PackedConvolutions is int packed) w.WriteNumber("packed_convolutions", packed);
        else w.WriteNull("packed_convolutions");
        if (r.FusedRelus is int relus) w.WriteNumber("fused_relus", relus);
        else w.WriteNull("fused_relus");
        w.WriteStartArray("step_s");
        foreach (var t in r.StepSeconds) w.WriteNumberOrNullValue(Math.Round(t, 6));
        w.WriteEndArray();
        if (r.Profile.Count > 0)
        {
            w.WriteStartObject("profile_s_per_step");
            foreach (var p in r.Profile) w.WriteNumberOrNull(p.Op, Math.Round(p.SecondsPerStep, 6));
            w.WriteEndObject();
        }
        w.WriteEndObject();
    });

    public static string Text(GemmBenchResult r) => r.MaxError is { } error
        ? string.Create(Inv, $"sgemm {r.Size}×{r.Size}×{r.Size} on {r.Device}: {r.Gflops:F1} GFLOP/s (median {r.MedianSeconds * 1e3:F2} ms over {r.Repetitions}); max error against the cpu {error:E1}\n")
        : string.Create(Inv, $"sgemm {r.Size}×{r.Size}×{r.Size}, {r.Threads} thread(s): {r.Gflops:F1} GFLOP/s (median {r.MedianSeconds * 1e3:F2} ms over {r.Repetitions})\n");

    public static string Json(GemmBenchResult r) => JsonLine(w =>
    {
        w.WriteStartObject();
        w.WriteString("mode", "gemm");
        w.WriteString("device", r.Device);
        w.WriteNumber("size", r.Size);
        w.WriteNumber("threads", r.Threads);
        w.WriteNumber("repetitions", r.Repetitions);
        w.WriteNumberOrNull("median_s", Math.Round(r.MedianSeconds, 6));
        // a median below the timer's resolution makes the rate infinite: null, by the rule of FiniteJson
        w.WriteNumberOrNull("gflops", Math.Round(r.Gflops, 3));
        if (r.MaxError is { } error) w.WriteNumberOrNull("max_error", error); // a NaN or ∞ error (a broken device product): null
        w.WriteEndObject();
    });

    /// <summary>One JSON object on one line, written by <paramref name="write"/> (numbers under the rule of FiniteJson).</summary>
    private static string JsonLine(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) write(w);
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
