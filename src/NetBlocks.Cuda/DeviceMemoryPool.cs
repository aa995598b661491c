using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// A caching allocator over one accelerator's memory, the design of the engine's <c>TensorPool</c> for device buffers:
/// a request is rounded up to its size class (powers of two up to 1 MiB, then whole MiB), served from that class's free
/// list when a returned buffer waits there, else allocated fresh from ILGPU. Returning a buffer
/// (<see cref="DeviceBuffer{T}.Dispose"/>) puts it back on its free list for the next request of the same class, so a
/// training loop, which asks for the same sizes every step, stops allocating after its first step. Classes are in bytes,
/// so float and int buffers share them.
/// <para>
/// Release is deterministic: a buffer goes back when its lease is disposed, and <see cref="Trim"/> or
/// <see cref="Dispose"/> free the cached ones on the device at once. Nothing relies on a finaliser: a lease dropped
/// without Dispose stays allocated until the pool is disposed (which frees every buffer it ever handed out).
/// Thread-safe (a data loader may upload on its prefetch thread).
/// </para>
/// </summary>
public sealed class DeviceMemoryPool : IDisposable
{
    private const long Mebibyte = 1L << 20;
    private readonly Accelerator _accelerator;
    private readonly Dictionary<long, Stack<MemoryBuffer1D<byte, Stride1D.Dense>>> _free = new();
    private readonly HashSet<MemoryBuffer1D<byte, Stride1D.Dense>> _all = new(ReferenceEqualityComparer.Instance);
    private readonly object _gate = new();
    private long _cachedBytes, _inUseBytes, _allocatedBytes;
    private bool _disposed;

    public DeviceMemoryPool(Accelerator accelerator) => _accelerator = accelerator;

    /// <summary>Bytes of returned buffers waiting for reuse.</summary>
    public long CachedBytes { get { lock (_gate) return _cachedBytes; } }

    /// <summary>Bytes of the buffers currently rented (their size classes).</summary>
    public long InUseBytes { get { lock (_gate) return _inUseBytes; } }

    /// <summary>Bytes ever allocated fresh on the device (grows only when reuse fails).</summary>
    public long AllocatedBytes { get { lock (_gate) return _allocatedBytes; } }

    /// <summary>The size class of a request: the next power of two up to 1 MiB (at least 256 bytes), then whole MiB.</summary>
    public static long SizeClass(long bytes)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "a buffer cannot have a negative size");
        if (bytes <= 256) return 256;
        if (bytes <= Mebibyte) return (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes);
        return (bytes + Mebibyte - 1) / Mebibyte * Mebibyte;
    }

    /// <summary>A buffer of <paramref name="length"/> elements (contents undefined); dispose it to give it back.</summary>
    public unsafe DeviceBuffer<T> Rent<T>(long length) where T : unmanaged
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "a buffer cannot have a negative length");
        long bytes = checked(length * sizeof(T));
        long size = SizeClass(bytes);
        MemoryBuffer1D<byte, Stride1D.Dense>? buffer = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                buffer = stack.Pop();
                _cachedBytes -= size;
            }
            _inUseBytes += size;
        }
        if (buffer is null)
        {
            try { buffer = _accelerator.Allocate1D<byte>(size); }
            catch
            {
                lock (_gate) _inUseBytes -= size;
                throw;
            }
            lock (_gate)
            {
                _all.Add(buffer);
                _allocatedBytes += size;
            }
        }
        return new DeviceBuffer<T>(this, buffer, length);
    }

    /// <summary>Takes a buffer back (from <see cref="DeviceBuffer{T}.Dispose"/>).</summary>
    internal void Return(MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        lock (_gate)
        {
            long size = buffer.Length;
            _inUseBytes -= size;
            if (_disposed) return; // already freed with the pool
            if (!_free.TryGetValue(size, out var stack)) _free[size] = stack = new Stack<MemoryBuffer1D<byte, Stride1D.Dense>>();
            stack.Push(buffer);
            _cachedBytes += size;
        }
    }

    /// <summary>Frees every cached (returned) buffer on the device now; rented ones are untouched.</summary>
    public void Trim()
    {
        lock (_gate)
        {
            foreach (var stack in _free.Values)
                while (stack.Count > 0)
                {
                    var buffer = stack.Pop();
                    _all.Remove(buffer);
                    buffer.Dispose();
                }
            _cachedBytes = 0;
        }
    }

    /// <summary>Frees every buffer the pool ever allocated, rented or cached; leases disposed later do nothing.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var buffer in _all) buffer.Dispose();
            _all.Clear();
            _free.Clear();
            _cachedBytes = 0;
        }
    }
}
