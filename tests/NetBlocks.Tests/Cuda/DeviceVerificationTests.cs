using System.Text.Json;
using NetBlocks.Benchmarking;
using NetBlocks.Cli.Commands;
using NetBlocks.Cuda;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// `netblocks devices --verify`'s checks (<see cref="DeviceVerification"/>) run here against cuda:9, a CudaBackend over
/// ILGPU's CPU accelerator with the tests' small groups, at <see cref="VerificationShapes.Small"/>: every check passes
/// within 1e-4 (about 45 s: the RegNetX32 step is most of it). A check that cannot run fails with its reason. The
/// command's report (text and JSON, exit codes) over given check results: all passing, one over the tolerance, a device
/// that cannot be opened, no device at all.
/// </summary>
[Collection(CudaCollection.Name)]
public class DeviceVerificationTests(CudaFixture fixture)
{
    private static readonly CudaDeviceInfo Fake = new(9, "ILGPU CPU accelerator (tests)", 1L << 30, "n/a", "n/a", 1);

    [Fact]
    public void Every_check_passes_on_the_cpu_accelerator()
    {
        var checks = DeviceVerification.Run(fixture.Backend.Device, VerificationShapes.Small);
        Assert.Equal(7, checks.Count);
        Assert.All(checks, c =>
        {
            Assert.True(c.Passed, c.ToString());
            Assert.Null(c.Error);
            Assert.True(c.Values > 0, c.Name);
            Assert.InRange(c.MaxError, 0, DeviceVerification.Tolerance);
        });
        Assert.Equal(545_809, checks.Single(c => c.Name.StartsWith("regnetx32 training step at 28×28", StringComparison.Ordinal)).Values);
        Assert.StartsWith("PASS  gemm 13×7×10 and both gradients: max error ", checks[0].ToString());
    }

    [Fact]
    public void The_cpu_is_not_a_device_to_verify() =>
        Assert.Equal("verify compares a device against the cpu: give another device than cpu",
            Assert.Throws<ArgumentException>(() => DeviceVerification.Run(Device.Cpu)).Message);

    [Fact]
    public void A_check_that_cannot_run_fails_with_its_reason_and_the_others_still_run()
    {
        // cuda:8 has no backend registered: every check fails at its first upload, naming the device.
        var checks = DeviceVerification.Run(Device.Cuda(8), VerificationShapes.Small);
        Assert.Equal(7, checks.Count);
        Assert.All(checks, c =>
        {
            Assert.False(c.Passed);
            Assert.Contains("cuda:8", c.Error);
            Assert.True(double.IsNaN(c.MaxError));
            Assert.StartsWith($"FAIL  {c.Name}: ", c.ToString());
        });
    }

    private static readonly DeviceCheck Good = new("gemm", 291, 3.2e-7, 1e-4, 0.5);
    private static readonly DeviceCheck Bad = new("conv2d", 858, 2.5e-3, 1e-4, 0.25);

    [Fact]
    public void The_verify_report_prints_each_check_and_exits_0_when_all_pass()
    {
        var (code, output, error) = Verify(json: false, Opens, [Good, Good with { Name = "pooling" }]);
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Equal(Fake + "\n" +
                     "  PASS  gemm: max error 3.2E-7 over 291 values (tolerance 1E-4, 0.50 s)\n" +
                     "  PASS  pooling: max error 3.2E-7 over 291 values (tolerance 1E-4, 0.50 s)\n" +
                     "cuda:9: PASS (2 of 2 checks passed)\n" +
                     "every check passed\n", output);

        var (jsonCode, json, _) = Verify(json: true, Opens, [Good]);
        Assert.Equal(0, jsonCode);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean());
        var device = root.GetProperty("devices")[0];
        Assert.Equal("cuda:9", device.GetProperty("device").GetString());
        var check = device.GetProperty("checks")[0];
        Assert.Equal("gemm", check.GetProperty("name").GetString());
        Assert.True(check.GetProperty("passed").GetBoolean());
        Assert.Equal(3.2e-7, check.GetProperty("max_error").GetDouble());
        Assert.Equal(291, check.GetProperty("values").GetInt32());
    }

    [Fact]
    public void A_check_over_the_tolerance_fails_the_verification_with_exit_code_2()
    {
        var (code, output, _) = Verify(json: false, Opens, [Good, Bad]);
        Assert.Equal(DevicesCommand.CheckFailed, code);
        Assert.Contains("  FAIL  conv2d: max error 2.5E-3 over 858 values (tolerance 1E-4, 0.25 s)\n", output);
        Assert.EndsWith("cuda:9: FAIL (1 of 2 checks passed)\nsome checks FAILED\n", output);
        var (jsonCode, json, _) = Verify(json: true, Opens, [Good, Bad]);
        Assert.Equal(DevicesCommand.CheckFailed, jsonCode);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.False(root.GetProperty("passed").GetBoolean());
        Assert.False(root.GetProperty("devices")[0].GetProperty("checks")[1].GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void A_device_that_cannot_be_opened_fails_the_verification_with_exit_code_2()
    {
        (Device, IDisposable) Refuses(CudaDeviceInfo _) => throw new InvalidOperationException("PTX compilation failed");
        var (code, output, _) = Verify(json: false, Refuses, [Good]);
        Assert.Equal(DevicesCommand.CheckFailed, code);
        Assert.Equal(Fake + "\n  FAIL  cannot open cuda:9: InvalidOperationException: PTX compilation failed\n" +
                     "cuda:9: FAIL (0 of 0 checks passed)\nsome checks FAILED\n", output);
        var (jsonCode, json, _) = Verify(json: true, Refuses, [Good]);
        Assert.Equal(DevicesCommand.CheckFailed, jsonCode);
        var device = JsonDocument.Parse(json).RootElement.GetProperty("devices")[0];
        Assert.False(device.GetProperty("passed").GetBoolean());
        Assert.Equal("cannot open cuda:9: InvalidOperationException: PTX compilation failed", device.GetProperty("error").GetString());
    }

    [Fact]
    public void Without_a_device_verify_says_why_and_exits_1()
    {
        var none = new CudaDeviceReport([], "no NVIDIA driver: libcuda.so.1 cannot be loaded");
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        Assert.Equal(1, DevicesCommand.Verify(output, error, none, json: false, _ => throw new InvalidOperationException("not called"),
            (_, _) => throw new InvalidOperationException("not called")));
        Assert.Equal("", output.ToString());
        Assert.Equal("error: --verify: no CUDA device to verify: no NVIDIA driver: libcuda.so.1 cannot be loaded\n", error.ToString());
    }

    private (Device, IDisposable) Opens(CudaDeviceInfo _) => (fixture.Backend.Device, new Nothing());

    /// <summary>Runs the report over <paramref name="checks"/> as if the device had produced them (each passed to the printer as it "finishes").</summary>
    private static (int Code, string Out, string Err) Verify(bool json, Func<CudaDeviceInfo, (Device, IDisposable)> open, DeviceCheck[] checks)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int code = DevicesCommand.Verify(output, error, new CudaDeviceReport([Fake], null), json, open, (device, onCheck) =>
        {
            Assert.Equal(Device.Cuda(9), device);
            foreach (var c in checks) onCheck?.Invoke(c);
            return checks;
        });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The fixture's backend stays open for the other tests.</summary>
    private sealed class Nothing : IDisposable
    {
        public void Dispose() { }
    }
}
