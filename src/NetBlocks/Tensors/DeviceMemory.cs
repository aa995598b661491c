namespace NetBlocks.Tensors;

/// <summary>
/// The elements of a tensor that live on another device than the CPU: a buffer of <see cref="Length"/> float32 or int32
/// values that a registered backend (<see cref="Backends.IDeviceBackend.Allocate"/>) hands out. The engine reaches the
/// values only by copying (<see cref="Upload(ReadOnlySpan{float}, int)"/>, <see cref="Download(int, Span{float})"/>);
/// the backend's kernels read the buffer itself. <see cref="Release"/> gives the buffer back to its device's allocator,
/// at once (the last tensor sharing it calls it, once): device memory never waits for a finaliser.
/// </summary>
public abstract class DeviceMemory
{
    /// <summary>The device the buffer lives on.</summary>
    public abstract Device Device { get; }

    /// <summary>float32 or int32.</summary>
    public abstract DType DType { get; }

    /// <summary>Elements of the buffer.</summary>
    public abstract int Length { get; }

    /// <summary>Copies <paramref name="source"/> to elements [offset, offset + length) of a float32 buffer.</summary>
    public abstract void Upload(ReadOnlySpan<float> source, int offset);

    /// <summary>Copies <paramref name="source"/> to elements [offset, offset + length) of an int32 buffer.</summary>
    public abstract void Upload(ReadOnlySpan<int> source, int offset);

    /// <summary>Copies elements [offset, offset + length) of a float32 buffer to the host, after the device's pending work.</summary>
    public abstract void Download(int offset, Span<float> destination);

    /// <summary>Copies elements [offset, offset + length) of an int32 buffer to the host, after the device's pending work.</summary>
    public abstract void Download(int offset, Span<int> destination);

    /// <summary>Gives the buffer back to its allocator (called once, by the storage, when its last tensor is released).</summary>
    public abstract void Release();
}
