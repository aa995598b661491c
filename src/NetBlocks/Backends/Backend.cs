using NetBlocks.Tensors;

namespace NetBlocks.Backends;

/// <summary>Finds the backend that computes on a device (<see cref="Tensor.Backend"/> asks it for the tensor's device).</summary>
public static class Backend
{
    /// <summary>The backend of <paramref name="device"/>; the CPU is the only device with one in this build.</summary>
    public static IBackend For(Device device) => device.Kind switch
    {
        DeviceKind.Cpu => CpuBackend.Instance,
        _ => throw new NotSupportedException($"no backend computes on device '{device}': this build computes on the CPU only"),
    };
}
