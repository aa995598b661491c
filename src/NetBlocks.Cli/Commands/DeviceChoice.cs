using System.CommandLine;
using NetBlocks.Cuda;
using NetBlocks.Tensors;

namespace NetBlocks.Cli.Commands;

/// <summary>
/// <c>--device auto|cpu|cuda[:N]</c>: which device a command computes on. <c>auto</c> is cuda:0 when
/// <see cref="CudaDevices.Query"/> finds a CUDA device, else the CPU; <c>cuda</c> (cuda:0) or <c>cuda:N</c> without such
/// a device is an error that says why there is none. <see cref="Open"/> opens the chosen CUDA device and registers its
/// backend with the engine for the command's duration.
/// </summary>
internal static class DeviceChoice
{
    public static Option<string> Option() => new("--device")
    {
        Description = "where to compute: auto (a CUDA device when there is one, else the CPU), cpu, cuda or cuda:N (`netblocks devices` lists them)",
        DefaultValueFactory = _ => "cpu",
        HelpName = "auto|cpu|cuda[:N]",
    };

    /// <summary>The device <paramref name="text"/> names, given what the machine has; throws with the reason when it cannot be used.</summary>
    public static Device Resolve(string text, CudaDeviceReport report)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "auto") return report.Devices.Count > 0 ? Device.Cuda(0) : Device.Cpu;
        Device device;
        try { device = Device.Parse(t); }
        catch (ArgumentException) { throw new ArgumentException($"--device: unknown device '{text}': expected auto, cpu, cuda or cuda:N"); }
        if (device.IsCpu) return device;
        if (device.Kind != DeviceKind.Cuda) throw new ArgumentException($"--device: {device} cannot train or run a model: expected auto, cpu, cuda or cuda:N");
        if (report.Devices.Count == 0)
            throw new ArgumentException($"--device {t}: no CUDA device: {report.Reason} (use --device cpu, or auto to take a GPU only when there is one)");
        if (device.Index >= report.Devices.Count)
            throw new ArgumentException($"--device {t}: there are {report.Devices.Count} CUDA device(s), cuda:0 to cuda:{report.Devices.Count - 1}");
        return device;
    }

    /// <summary>
    /// The devices of `sweep run`'s in-process workers, one trial per GPU: worker i (from 1) on cuda:(i − 1). <c>cuda</c>
    /// and <c>auto</c> on a machine with GPUs give one worker per GPU unless <paramref name="workers"/> is given, and
    /// refuse more workers than GPUs; <c>cuda:N</c> is one GPU, so one worker; <c>cpu</c> (and <c>auto</c> without a GPU)
    /// keeps the CPU workers of before (Devices null). Throws with the reason when the choice cannot be met.
    /// </summary>
    /// <param name="workers">--workers when given on the command line, else null.</param>
    public static (int Workers, IReadOnlyList<Device>? Devices) SweepWorkers(string text, int? workers, CudaDeviceReport report)
    {
        var t = text.Trim().ToLowerInvariant();
        var device = Resolve(text, report);
        if (workers is < 1) throw new ArgumentException($"--workers must be at least 1, got {workers}");
        if (device.IsCpu) return (workers ?? 1, null);
        if (t.Contains(':'))
        {
            if (workers is > 1)
                throw new ArgumentException($"--device {t} is one GPU, which trains one trial at a time, but --workers is {workers}: " +
                                            "use --workers 1, or --device cuda for one worker per GPU");
            return (1, [device]);
        }
        int gpus = report.Devices.Count;
        if (workers > gpus)
            throw new ArgumentException($"--device {t}: --workers {workers} asks for more workers than there are CUDA devices ({gpus}): " +
                                        $"each worker trains on a GPU of its own, so use --workers {gpus} or fewer (or --device cpu)");
        int count = workers ?? gpus;
        return (count, Enumerable.Range(0, count).Select(Device.Cuda).ToArray());
    }

    /// <summary>Opens every CUDA device of <paramref name="devices"/> (see <see cref="Open"/>); dispose the lease to close them all.</summary>
    public static (IReadOnlyList<CudaBackend> Backends, IDisposable Lease) OpenAll(IEnumerable<Device> devices)
    {
        var opened = new List<CudaBackend>();
        try
        {
            foreach (var d in devices.Where(d => !d.IsCpu).Distinct()) opened.Add(CudaBackend.Open(d.Index));
        }
        catch
        {
            foreach (var b in opened) b.Dispose();
            throw;
        }
        return (opened, new Leases(opened));
    }

    private sealed class Leases(List<CudaBackend> backends) : IDisposable
    {
        public void Dispose()
        {
            foreach (var b in backends)
            {
                b.Context.Accelerator.Bind(); // its buffers are freed from this thread: make its CUDA context the current one
                b.Dispose();
            }
            backends.Clear();
        }
    }

    /// <summary>
    /// Resolves <paramref name="text"/> against this machine and, for a CUDA device, opens it and registers its backend;
    /// dispose the returned lease when the command ends (it frees the device's memory). The CPU needs nothing opened.
    /// </summary>
    public static (Device Device, IDisposable? Lease) Open(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return (Device.Cpu, null);
        var device = Resolve(text, CudaDevices.Query());
        return device.IsCpu ? (device, null) : (device, CudaBackend.Open(device.Index));
    }
}
