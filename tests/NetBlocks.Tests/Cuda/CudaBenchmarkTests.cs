using NetBlocks.Benchmarking;

namespace NetBlocks.Tests.Cuda;

/// <summary>`bench train|infer` on a device (cuda:9 over the CPU accelerator): the steps run there and the result describes the same model.</summary>
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
}
