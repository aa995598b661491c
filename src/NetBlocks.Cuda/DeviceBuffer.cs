using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// A rented device buffer of <see cref="Length"/> elements of <typeparamref name="T"/> (its size class may be larger).
/// <see cref="View"/> is what the kernels take. <see cref="Dispose"/> gives it back to its <see cref="DeviceMemoryPool"/>
/// (once; later calls do nothing).
/// </summary>
public sealed class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private readonly DeviceMemoryPool _pool;
    private MemoryBuffer1D<byte, Stride1D.Dense>? _buffer;

    internal DeviceBuffer(DeviceMemoryPool pool, MemoryBuffer1D<byte, Stride1D.Dense> buffer, long length)
    {
        _pool = pool;
        _buffer = buffer;
        Length = length;
    }

    /// <summary>Elements of the buffer.</summary>
    public long Length { get; }

    /// <summary>The buffer's elements on the device.</summary>
    public ArrayView<T> View
    {
        get
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(DeviceBuffer<T>), "the device buffer was returned to its pool");
            return ((ArrayView<byte>)buffer.View).Cast<T>().SubView(0, Length);
        }
    }

    /// <summary>Copies <paramref name="source"/> (exactly <see cref="Length"/> values) to the device; waits for the copy.</summary>
    public void Upload(T[] source)
    {
        if (source.Length != Length) throw new ArgumentException($"upload: {source.Length} values for a device buffer of {Length}");
        View.CopyFromCPU(source);
    }

    /// <summary>The buffer's values on the host; waits for the device's pending work on the default stream first.</summary>
    public T[] Download()
    {
        var values = new T[Length];
        View.CopyToCPU(values);
        return values;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) _pool.Return(buffer);
    }
}
