using NetBlocks.Tensors;

namespace NetBlocks.Backends;

/// <summary>
/// A backend for a device other than the CPU: besides the operations, it allocates the device's tensor storage.
/// A package that brings a device (NetBlocks.Cuda) registers one with <see cref="Backend.Register"/>; the engine itself
/// references no such package.
/// </summary>
public interface IDeviceBackend : IBackend
{
    /// <summary>A buffer of <paramref name="length"/> elements of <paramref name="dtype"/> on <see cref="IBackend.Device"/> (contents undefined).</summary>
    DeviceMemory Allocate(int length, DType dtype);

    /// <summary>Waits until every operation queued on the device so far has finished (a device may run them asynchronously).</summary>
    void Synchronize();
}
