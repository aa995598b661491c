using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace NetBlocks.Cuda;

/// <summary>One CUDA device as ILGPU sees it.</summary>
/// <param name="Index">Its number, N in cuda:N.</param>
/// <param name="ComputeCapability">major.minor (e.g. 9.0 for Hopper), or why ILGPU cannot target it.</param>
/// <param name="Driver">The CUDA driver API version, major.minor.</param>
public sealed record CudaDeviceInfo(int Index, string Name, long MemoryBytes, string ComputeCapability, string Driver, int Multiprocessors)
{
    public override string ToString()
        => $"cuda:{Index}  {Name}  {MemoryBytes / (double)(1L << 30):0.0} GiB  compute capability {ComputeCapability}  {Multiprocessors} SMs  CUDA driver {Driver}";
}

/// <summary>What <see cref="CudaDevices.Query"/> found: the devices, or (when there are none) why.</summary>
public sealed record CudaDeviceReport(IReadOnlyList<CudaDeviceInfo> Devices, string? Reason)
{
    /// <summary>One line per device, or the reason there is none.</summary>
    public string Describe() => Devices.Count > 0 ? string.Join(Environment.NewLine, Devices) : $"no CUDA device: {Reason}";
}

/// <summary>
/// Lists the CUDA devices ILGPU finds (name, memory, compute capability, driver) or says why there is none: no NVIDIA
/// driver library to load, a driver that reports no device, or ILGPU's own error. Never throws: a machine without a GPU
/// is an answer, not a failure (what <c>netblocks devices</c> will print).
/// </summary>
public static class CudaDevices
{
    /// <summary>The driver library CUDA programs load: libcuda.so.1 on Linux, nvcuda.dll on Windows.</summary>
    public static string DriverLibrary => OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";

    public static CudaDeviceReport Query()
    {
        if (OperatingSystem.IsMacOS()) return new([], "CUDA does not run on macOS");
        if (!NativeLibrary.TryLoad(DriverLibrary, out var handle))
            return new([], $"no NVIDIA driver: {DriverLibrary} cannot be loaded");
        NativeLibrary.Free(handle);
        try
        {
            using var context = Context.Create(builder => builder.Cuda());
            var devices = context.GetCudaDevices();
            if (devices.Count == 0) return new([], $"the NVIDIA driver ({DriverLibrary}) reports no CUDA device");
            var list = new List<CudaDeviceInfo>();
            for (int i = 0; i < devices.Count; i++)
            {
                var d = devices[i];
                string capability = d.Architecture is { } arch ? $"{arch.Major}.{arch.Minor}" : "unknown to ILGPU 1.5.3";
                list.Add(new CudaDeviceInfo(i, d.Name, d.MemorySize, capability, $"{d.DriverVersion.Major}.{d.DriverVersion.Minor}", d.NumMultiprocessors));
            }
            return new(list, null);
        }
        catch (Exception e)
        {
            return new([], $"ILGPU cannot open the CUDA driver: {e.Message}");
        }
    }
}
