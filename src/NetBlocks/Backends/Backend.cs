using System.Collections.Concurrent;
using NetBlocks.Tensors;

namespace NetBlocks.Backends;

/// <summary>
/// Finds the backend that computes on a device (<see cref="Tensor.Backend"/> asks it for the tensor's device). The CPU's
/// is built in; other devices' backends are registered by the package that brings them (NetBlocks.Cuda registers
/// <c>cuda:N</c> when it opens that device), so the engine references no device package.
/// </summary>
public static class Backend
{
    private static readonly ConcurrentDictionary<Device, IDeviceBackend> Registered = new();

    /// <summary>The backend of <paramref name="device"/>: the CPU's, or the one registered for it.</summary>
    public static IBackend For(Device device) => device.Kind switch
    {
        DeviceKind.Cpu => CpuBackend.Instance,
        _ => DeviceBackend(device),
    };

    /// <summary>The registered backend of a device other than the CPU; throws naming the device when there is none.</summary>
    public static IDeviceBackend DeviceBackend(Device device) =>
        Registered.TryGetValue(device, out var backend)
            ? backend
            : throw new NotSupportedException(device.IsMeta
                ? "a meta tensor has a shape and no elements: no backend computes on device 'meta'"
                : $"no backend computes on device '{device}': none is registered for it " +
                  "(a CUDA device is registered by NetBlocks.Cuda when it is opened, e.g. by --device cuda)");

    /// <summary>Registers <paramref name="backend"/> for its device, replacing an earlier one for that device.</summary>
    public static void Register(IDeviceBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.Device.IsCpu || backend.Device.IsMeta)
            throw new ArgumentException($"the {backend.Device} device's backend is built in and cannot be registered");
        Registered[backend.Device] = backend;
    }

    /// <summary>Removes the backend registered for <paramref name="device"/> if it is <paramref name="backend"/>.</summary>
    public static void Unregister(Device device, IDeviceBackend backend) =>
        Registered.TryRemove(new KeyValuePair<Device, IDeviceBackend>(device, backend));

    /// <summary>Whether a backend is registered for <paramref name="device"/> (the CPU always has one).</summary>
    public static bool IsAvailable(Device device) => device.IsCpu || Registered.ContainsKey(device);
}
