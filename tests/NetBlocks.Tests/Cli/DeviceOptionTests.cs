using NetBlocks.Cli.Commands;
using NetBlocks.Cuda;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cli;

/// <summary>`--device auto|cpu|cuda[:N]` and `netblocks devices`: what each choice resolves to, and the messages when it cannot.</summary>
public class DeviceOptionTests
{
    private static readonly CudaDeviceReport None = new([], "no NVIDIA driver: libcuda.so.1 cannot be loaded");
    private static readonly CudaDeviceReport OneGpu = new([new CudaDeviceInfo(0, "NVIDIA H200", 150L << 30, "9.0", "12.4", 132)], null);

    [Theory]
    [InlineData("auto", false, "cpu")]
    [InlineData("auto", true, "cuda:0")]
    [InlineData("cpu", true, "cpu")]
    [InlineData(" CUDA ", true, "cuda:0")]
    [InlineData("cuda:0", true, "cuda:0")]
    public void A_device_choice_resolves_against_what_the_machine_has(string text, bool gpu, string expected) =>
        Assert.Equal(expected, DeviceChoice.Resolve(text, gpu ? OneGpu : None).ToString());

    [Theory]
    [InlineData("cuda", false, "--device cuda: no CUDA device: no NVIDIA driver: libcuda.so.1 cannot be loaded (use --device cpu, or auto to take a GPU only when there is one)")]
    [InlineData("cuda:1", true, "--device cuda:1: there are 1 CUDA device(s), cuda:0 to cuda:0")]
    [InlineData("tpu", true, "--device: unknown device 'tpu': expected auto, cpu, cuda or cuda:N")]
    [InlineData("meta", true, "--device: meta cannot train or run a model: expected auto, cpu, cuda or cuda:N")]
    public void A_device_that_cannot_be_used_is_refused_with_the_reason(string text, bool gpu, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => DeviceChoice.Resolve(text, gpu ? OneGpu : None)).Message);

    [Fact]
    public void Devices_lists_the_cpu_and_the_cuda_devices_or_why_there_are_none()
    {
        var (code, stdout, stderr) = CliRunner.Run("devices");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Equal($"cpu  always available\n{CudaDevices.Query().Describe()}\n", stdout);
    }

    [Fact]
    public void Train_on_a_cuda_device_that_is_not_there_fails_before_anything_is_recorded()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "netblocks-device-" + Guid.NewGuid().ToString("N"));
        var (code, _, stderr) = CliRunner.Run("train", "regnetx32", "--device", "cuda:99", "--out", outDir);
        Assert.Equal(1, code);
        var report = CudaDevices.Query();
        Assert.Equal(report.Devices.Count == 0
            ? $"error: --device cuda:99: no CUDA device: {report.Reason} (use --device cpu, or auto to take a GPU only when there is one)\n"
            : $"error: --device cuda:99: there are {report.Devices.Count} CUDA device(s), cuda:0 to cuda:{report.Devices.Count - 1}\n", stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Bench_on_an_unknown_device_names_the_choices()
    {
        var (code, _, stderr) = CliRunner.Run("bench", "train", "nin", "--resize", "28", "--device", "gpu");
        Assert.Equal(1, code);
        Assert.Equal("error: --device: unknown device 'gpu': expected auto, cpu, cuda or cuda:N\n", stderr);
    }
}
