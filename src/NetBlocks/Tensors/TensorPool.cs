namespace NetBlocks.Tensors;

/// <summary>
/// Recycles float buffers by exact length. A training loop allocates the same sizes every step, so after the
/// first step every buffer comes from here and the GC heap stops growing. Buffers that are never returned
/// (a tensor the user dropped without a Backward) are simply collected by the GC: the pool is an optimisation,
/// never a requirement for correctness.
/// </summary>
public static class TensorPool
{
    private static readonly Dictionary<int, Stack<float[]>> Buckets = new();
    private static readonly object Gate = new();
    private static long _retainedBytes;
    private static long _allocatedBytes;
    private static long _maxRetainedBytes = 8L << 30;

    /// <summary>Bytes currently held by the pool, ready for reuse.</summary>
    public static long RetainedBytes { get { lock (Gate) return _retainedBytes; } }

    /// <summary>Bytes the pool has ever allocated fresh from the GC (grows only when reuse fails).</summary>
    public static long AllocatedBytes { get { lock (Gate) return _allocatedBytes; } }

    /// <summary>Upper bound on <see cref="RetainedBytes"/>; returned buffers beyond it are left to the GC.</summary>
    public static long MaxRetainedBytes
    {
        get { lock (Gate) return _maxRetainedBytes; }
        set { lock (Gate) _maxRetainedBytes = Math.Max(0, value); }
    }

    /// <summary>
    /// Buffers shorter than this are plain GC allocations (scalars, per-channel vectors): recycling them would cost
    /// more in locking than it saves.
    /// </summary>
    public const int MinPooledLength = 64;

    /// <summary>A buffer of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    public static float[] Rent(int length)
    {
        if (length == 0) return Array.Empty<float>();
        if (length < MinPooledLength) return new float[length];
        lock (Gate)
        {
            if (Buckets.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                _retainedBytes -= 4L * length;
                return stack.Pop();
            }
            _allocatedBytes += 4L * length;
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>Gives a buffer back for reuse. The caller must not touch it afterwards.</summary>
    public static void Return(float[] buffer)
    {
        if (buffer.Length < MinPooledLength) return;
        lock (Gate)
        {
            if (_retainedBytes + 4L * buffer.Length > _maxRetainedBytes) return;
            if (!Buckets.TryGetValue(buffer.Length, out var stack))
                Buckets[buffer.Length] = stack = new Stack<float[]>();
            stack.Push(buffer);
            _retainedBytes += 4L * buffer.Length;
        }
    }

    /// <summary>Drops every retained buffer (they become garbage for the GC).</summary>
    public static void Clear()
    {
        lock (Gate)
        {
            Buckets.Clear();
            _retainedBytes = 0;
        }
    }
}
