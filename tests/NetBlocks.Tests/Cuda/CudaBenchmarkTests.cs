using NetBlocks.Benchmarking;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// `bench train|infer` on a device (cuda:9 over the CPU accelerator): the steps run there and the result describes the
/// same model; `bench gemm` on a device: the device's product, checked against the CPU's.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaBenchmarkTests(CudaFixture fixture)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_benchmark_runs_its_steps_on_the_device(bool training)
    {
        var settings = new BenchSettings("vgg-bn:1x4,fc=8", Resize: 16, Batch: 2, Steps: 2, Warmup: 1, Threads: 1);
        var onDevice = settings with { Device = fixture.Backend.Device };
        var cpu = training ? ModelBenchmark.Train(settings) : ModelBenchmark.Infer(settings);
        var device = training ? ModelBenchmark.Train(onDevice) : ModelBenchmark.Infer(onDevice);
        Assert.Equal(training ? "train" : "infer", device.Mode);
        Assert.Equal(2, device.StepSeconds.Length);
        Assert.Equal(cpu.MacsPerImage, device.MacsPerImage);
        Assert.Equal(cpu.Batch, device.Batch);
    }

    [Fact]
    public void Bench_gemm_on_the_device_times_the_devices_product_and_checks_it_against_the_cpu()
    {
        var device = fixture.Backend.Device;
        var r = GemmBenchmark.Run(37, 1, repetitions: 2, warmup: 1, device: device);
        Assert.Equal(device.ToString(), r.Device);
        Assert.Equal(2, r.Seconds.Length);
        Assert.InRange(Assert.NotNull(r.MaxError), 0, 1e-4);
        Assert.Contains($"\"device\":\"{device}\"", BenchReport.Json(r));
        Assert.Contains("\"max_error\":", BenchReport.Json(r));
        Assert.StartsWith($"sgemm 37×37×37 on {device}: ", BenchReport.Text(r));
        Assert.Contains("max error against the cpu", BenchReport.Text(r));

        var cpu = GemmBenchmark.Run(37, 1, repetitions: 2, warmup: 1);
        Assert.Equal("cpu", cpu.Device);
        Assert.Null(cpu.MaxError);
        Assert.DoesNotContain("max_error", BenchReport.Json(cpu));
    }
}
