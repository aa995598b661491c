using System.CommandLine;
using NetBlocks.Benchmarking;
using NetBlocks.Cuda;
using NetBlocks.Serialization;
using NetBlocks.Tensors;

namespace NetBlocks.Cli.Commands;

/// <summary>
/// `netblocks devices`: the CUDA devices ILGPU finds (name, memory, compute capability, SMs, driver), or why there is
/// none. `--verify` runs <see cref="DeviceVerification"/>'s checks on every CUDA device against the CPU (what the CI runs
/// on ILGPU's CPU accelerator), one line per check with its largest error and PASS/FAIL; it exits 2 when a check fails
/// and 1 when there is no device to verify. `--json` prints either as one JSON object.
/// </summary>
internal static class DevicesCommand
{
    /// <summary>Exit code of `devices --verify` when a check failed on some device.</summary>
    public const int CheckFailed = 2;

    public static Command Create()
    {
        var verify = new Option<bool>("--verify")
        {
            Description = "run the kernel checks (GEMM, convolutions with groups and strides, batch norm, pooling, softmax/cross-entropy, " +
                          "a RegNetX32 training step) on every CUDA device against the cpu, within 1e-4; exit non-zero on a failure",
        };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var command = new Command("devices", "List the CUDA devices --device can use (name, memory, compute capability, driver), or say why there is none; --verify checks each against the cpu")
        {
            verify, json,
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            var output = parse.InvocationConfiguration.Output;
            var report = CudaDevices.Query();
            if (parse.GetValue(verify))
                return Verify(output, parse.InvocationConfiguration.Error, report, parse.GetValue(json), Open,
                    (device, onCheck) => DeviceVerification.Run(device, VerificationShapes.Gpu, onCheck));
            if (parse.GetValue(json))
            {
                output.WriteLine(FiniteJson.Serialize(new { cpu = true, cuda = report.Devices.Select(Json).ToArray(), reason = report.Reason }));
                return 0;
            }
            output.WriteLine("cpu  always available");
            output.WriteLine(report.Describe());
            return 0;
        }));
        return command;
    }

    private static (Device Device, IDisposable Lease) Open(CudaDeviceInfo info)
    {
        var backend = CudaBackend.Open(info.Index);
        backend.Context.Accelerator.Bind(); // this thread drives it (a CUDA context is current per thread)
        return (backend.Device, backend);
    }

    private static object Json(CudaDeviceInfo d) => new
    {
        device = $"cuda:{d.Index}", name = d.Name, memory_bytes = d.MemoryBytes, compute_capability = d.ComputeCapability,
        driver = d.Driver, multiprocessors = d.Multiprocessors,
    };

    /// <summary>
    /// Runs the checks (<paramref name="run"/>: <see cref="DeviceVerification.Run"/>) on each device of
    /// <paramref name="report"/>, opened one after another with <paramref name="open"/> (tests open ILGPU's CPU
    /// accelerator instead of a GPU); prints each check as it finishes (text) or one object at the end (JSON). Returns 0
    /// when every check passed, <see cref="CheckFailed"/> when one failed, 1 without a device.
    /// </summary>
    internal static int Verify(TextWriter output, TextWriter error, CudaDeviceReport report, bool json,
        Func<CudaDeviceInfo, (Device Device, IDisposable Lease)> open, Func<Device, Action<DeviceCheck>?, IReadOnlyList<DeviceCheck>> run)
    {
        if (report.Devices.Count == 0)
        {
            if (json) output.WriteLine(FiniteJson.Serialize(new { passed = false, reason = report.Reason, devices = Array.Empty<object>() }));
            error.WriteLine($"error: --verify: no CUDA device to verify: {report.Reason}");
            return 1;
        }
        var devices = new List<object>();
        bool allPassed = true;
        foreach (var info in report.Devices)
        {
            if (!json) output.WriteLine(info);
            IReadOnlyList<DeviceCheck> checks;
            string? openError = null;
            try
            {
                var (device, lease) = open(info);
                using (lease)
                    checks = run(device, json ? null : check => output.WriteLine("  " + check));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The device could not be opened at all (ILGPU or the driver refused it): that is its verification's answer.
                openError = $"cannot open cuda:{info.Index}: {e.GetType().Name}: {e.Message}";
                checks = [];
                if (!json) output.WriteLine($"  FAIL  {openError}");
            }
            bool passed = openError is null && checks.All(c => c.Passed);
            allPassed &= passed;
            if (!json)
                output.WriteLine($"cuda:{info.Index}: {(passed ? "PASS" : "FAIL")} ({checks.Count(c => c.Passed)} of {checks.Count} checks passed)");
            devices.Add(new
            {
                device = $"cuda:{info.Index}", name = info.Name, compute_capability = info.ComputeCapability, passed, error = openError,
                checks = checks.Select(c => new { name = c.Name, passed = c.Passed, max_error = c.MaxError, tolerance = c.Tolerance, values = c.Values, seconds = c.Seconds, error = c.Error }).ToArray(),
            });
        }
        if (json) output.WriteLine(FiniteJson.Serialize(new { passed = allPassed, tolerance = DeviceVerification.Tolerance, devices }));
        else output.WriteLine(allPassed ? "every check passed" : "some checks FAILED");
        return allPassed ? 0 : CheckFailed;
    }
}
