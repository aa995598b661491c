using NetBlocks.Cli.Commands;
using NetBlocks.Cuda;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cli;

/// <summary>`--device auto|cpu|cuda[:N]` and `netblocks devices`: what each choice resolves to, and the messages when it cannot.</summary>
public class DeviceOptionTests
{
    private static readonly CudaDeviceReport None = new([], "no NVIDIA driver: libcuda.so.1 cannot be loaded");
    private static readonly CudaDeviceReport OneGpu = new([new CudaDeviceInfo(0, "NVIDIA H200", 150L << 30, "9.0", "12.4", 132)], null);
    private static readonly CudaDeviceReport TwoGpus = new([OneGpu.Devices[0], OneGpu.Devices[0] with { Index = 1 }], null);

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
    public void Bench_gemm_on_a_cuda_device_that_is_not_there_says_why()
    {
        var (code, _, stderr) = CliRunner.Run("bench", "gemm", "--size", "8", "--device", "cuda:99");
        Assert.Equal(1, code);
        var report = CudaDevices.Query();
        Assert.Equal(report.Devices.Count == 0
            ? $"error: --device cuda:99: no CUDA device: {report.Reason} (use --device cpu, or auto to take a GPU only when there is one)\n"
            : $"error: --device cuda:99: there are {report.Devices.Count} CUDA device(s), cuda:0 to cuda:{report.Devices.Count - 1}\n", stderr);
        var (badSize, _, sizeError) = CliRunner.Run("bench", "gemm", "--size", "0", "--device", "cuda:99");
        Assert.Equal(1, badSize);
        Assert.Equal("error: --size must be at least 1, got 0\n", sizeError);
    }

    [Fact]
    public void Bench_on_an_unknown_device_names_the_choices()
    {
        var (code, _, stderr) = CliRunner.Run("bench", "train", "nin", "--resize", "28", "--device", "gpu");
        Assert.Equal(1, code);
        Assert.Equal("error: --device: unknown device 'gpu': expected auto, cpu, cuda or cuda:N\n", stderr);
    }

    [Theory]
    [InlineData("cpu", null, 2, 1, "")]
    [InlineData("cpu", 3, 2, 3, "")]
    [InlineData("auto", null, 0, 1, "")]
    [InlineData("auto", 2, 0, 2, "")]
    [InlineData("auto", null, 2, 2, "cuda:0,cuda:1")]
    [InlineData("auto", 1, 2, 1, "cuda:0")]
    [InlineData("cuda", null, 2, 2, "cuda:0,cuda:1")]
    [InlineData("cuda", 2, 2, 2, "cuda:0,cuda:1")]
    [InlineData("cuda:1", null, 2, 1, "cuda:1")]
    [InlineData("cuda:1", 1, 2, 1, "cuda:1")]
    public void Sweep_workers_get_one_gpu_each(string text, int? workers, int gpus, int expectedWorkers, string expectedDevices)
    {
        var report = gpus switch { 0 => None, 1 => OneGpu, _ => TwoGpus };
        var (count, devices) = DeviceChoice.SweepWorkers(text, workers, report);
        Assert.Equal(expectedWorkers, count);
        Assert.Equal(expectedDevices, devices is null ? "" : string.Join(",", devices));
    }

    [Theory]
    [InlineData("cuda", 3, 2, "--device cuda: --workers 3 asks for more workers than there are CUDA devices (2): each worker trains on a GPU of its own, so use --workers 2 or fewer (or --device cpu)")]
    [InlineData("auto", 2, 1, "--device auto: --workers 2 asks for more workers than there are CUDA devices (1): each worker trains on a GPU of its own, so use --workers 1 or fewer (or --device cpu)")]
    [InlineData("cuda:0", 2, 2, "--device cuda:0 is one GPU, which trains one trial at a time, but --workers is 2: use --workers 1, or --device cuda for one worker per GPU")]
    [InlineData("cuda", null, 0, "--device cuda: no CUDA device: no NVIDIA driver: libcuda.so.1 cannot be loaded (use --device cpu, or auto to take a GPU only when there is one)")]
    [InlineData("cuda:2", 1, 2, "--device cuda:2: there are 2 CUDA device(s), cuda:0 to cuda:1")]
    [InlineData("cuda", 0, 2, "--workers must be at least 1, got 0")]
    public void Sweep_workers_that_the_gpus_cannot_serve_are_refused(string text, int? workers, int gpus, string message)
    {
        var report = gpus switch { 0 => None, 1 => OneGpu, _ => TwoGpus };
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => DeviceChoice.SweepWorkers(text, workers, report)).Message);
    }

    /// <summary>What this machine says for a CUDA device it does not have (no GPU here: the driver's absence).</summary>
    private static string Missing(string device)
    {
        var report = CudaDevices.Query();
        return report.Devices.Count == 0
            ? $"error: --device {device}: no CUDA device: {report.Reason} (use --device cpu, or auto to take a GPU only when there is one)\n"
            : $"error: --device {device}: there are {report.Devices.Count} CUDA device(s), cuda:0 to cuda:{report.Devices.Count - 1}\n";
    }

    [Fact]
    public void Eval_and_predict_on_a_cuda_device_that_is_not_there_say_why_before_reading_anything()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-checkpoint-" + Guid.NewGuid().ToString("N") + ".safetensors");
        var (code, _, stderr) = CliRunner.Run("eval", missing, "--device", "cuda:99");
        Assert.Equal(1, code);
        Assert.Equal(Missing("cuda:99"), stderr);
        (code, _, stderr) = CliRunner.Run("predict", missing, "--index", "0", "--device", "cuda:99");
        Assert.Equal(1, code);
        Assert.Equal(Missing("cuda:99"), stderr);
    }

    [Fact]
    public void Sweep_run_on_a_cuda_device_that_is_not_there_says_why_before_opening_the_store()
    {
        var store = Path.Combine(Path.GetTempPath(), "no-such-store-" + Guid.NewGuid().ToString("N") + ".db");
        var (code, _, stderr) = CliRunner.Run("sweep", "run", "s", "--store", store, "--device", "cuda:99");
        Assert.Equal(1, code);
        Assert.Equal(Missing("cuda:99"), stderr);
        Assert.False(File.Exists(store));
    }

    [Fact]
    public void Devices_json_lists_the_cuda_devices_or_the_reason()
    {
        var (code, stdout, stderr) = CliRunner.Run("devices", "--json");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var root = System.Text.Json.JsonDocument.Parse(stdout).RootElement;
        var report = CudaDevices.Query();
        Assert.True(root.GetProperty("cpu").GetBoolean());
        Assert.Equal(report.Devices.Count, root.GetProperty("cuda").GetArrayLength());
        if (report.Devices.Count == 0) Assert.Equal(report.Reason, root.GetProperty("reason").GetString());
    }

    [Fact]
    public void Devices_verify_without_a_gpu_exits_1_with_the_reason()
    {
        var report = CudaDevices.Query();
        if (report.Devices.Count > 0) return; // a machine with a GPU verifies it instead (CudaFact territory)
        var (code, stdout, stderr) = CliRunner.Run("devices", "--verify");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"error: --verify: no CUDA device to verify: {report.Reason}\n", stderr);
    }
}
