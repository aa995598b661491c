namespace NetBlocks.Tensors;

/// <summary>
/// Recycles float buffers. A training loop allocates the same sizes every step, so after the first step every buffer
/// comes from here and the GC heap stops growing. Two kinds:
/// <list type="bullet">
/// <item>Buffers under <see cref="SegmentedLength"/> floats are whole arrays recycled by exact length.</item>
/// <item>Larger ones are blocks of big segments, as PyTorch's caching allocator does: a request takes the smallest free
/// block that fits (best fit), split off the rest; a freed block merges with its free neighbours. A step's activations
/// and gradients of many different sizes then share the same memory as their lifetimes allow, instead of each size
/// keeping as many arrays as it ever needed at once (which for VGG at 224×224 held 0.7 GB more than was ever live).</item>
/// </list>
/// Buffers that are never returned (a tensor the user dropped without a Backward) are recovered by the GC: whole
/// arrays are simply collected, and a segment block goes back to its segment when the GC finalises its lease. The pool is
/// an optimisation, never a requirement for correctness.
/// <para>
/// Each <see cref="ExecutionContext"/> has a pool (contexts may share one); a tensor's storage takes its buffer from the
/// pool of the context in force and gives it back to that same pool, whichever context releases it. Thread-safe.
/// </para>
/// </summary>
public sealed class TensorPool
{
    private readonly Dictionary<int, Stack<float[]>> Buckets = new();
    private readonly List<Segment> Segments = new();
    private readonly object Gate = new();
    private long _retainedBytes;
    private long _allocatedBytes;
    private long _maxRetainedBytes;

    /// <param name="maxRetainedBytes">The cap on <see cref="RetainedBytes"/> (default 8 GiB).</param>
    public TensorPool(long maxRetainedBytes = 8L << 30)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetainedBytes);
        _maxRetainedBytes = maxRetainedBytes;
    }

    /// <summary>Bytes currently held by the pool, ready for reuse (free arrays and free segment blocks).</summary>
    public long RetainedBytes { get { lock (Gate) return _retainedBytes; } }

    /// <summary>Bytes the pool has ever allocated fresh from the GC (grows only when reuse fails).</summary>
    public long AllocatedBytes { get { lock (Gate) return _allocatedBytes; } }

    /// <summary>Upper bound on <see cref="RetainedBytes"/>; returned arrays beyond it, and segments that fall wholly free beyond it, are left to the GC.</summary>
    public long MaxRetainedBytes { get { lock (Gate) return _maxRetainedBytes; } }

    /// <summary>
    /// Buffers shorter than this are plain GC allocations (scalars, per-channel vectors): recycling them would cost
    /// more in locking than it saves.
    /// </summary>
    public const int MinPooledLength = 64;

    /// <summary>Requests of at least this many floats (4 MiB) are blocks of segments; smaller ones whole arrays.</summary>
    public const int SegmentedLength = 1 << 20;

    /// <summary>Smallest segment, in floats (64 MiB).</summary>
    internal const int MinSegmentLength = 1 << 24;

    /// <summary>Blocks start and end on 16-float (64-byte) boundaries within their segment.</summary>
    private const int Granule = 16;

    /// <summary>A buffer of exactly <paramref name="length"/> floats with unspecified contents (a whole array).</summary>
    public float[] Rent(int length)
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

    /// <summary>Gives a whole array back for reuse. The caller must not touch it afterwards.</summary>
    public void Return(float[] buffer)
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

    /// <summary>
    /// <paramref name="length"/> floats with unspecified contents for a storage: a whole array (offset 0, no segment)
    /// below <see cref="SegmentedLength"/>, else a best-fit block of a segment.
    /// </summary>
    internal float[] RentBlock(int length, out int offset, out Segment? segment)
    {
        segment = null;
        offset = 0;
        if (length < SegmentedLength) return Rent(length);
        int size = RoundUp(length);
        lock (Gate)
        {
            Segment? best = null;
            int bestOffset = 0, bestSize = int.MaxValue;
            foreach (var s in Segments)
            {
                if (s.FindBestFit(size, out int o, out int free) && free < bestSize)
                {
                    best = s; bestOffset = o; bestSize = free;
                }
            }
            if (best is null)
            {
                best = new Segment(GC.AllocateUninitializedArray<float>(NewSegmentLength(size)));
                Segments.Add(best);
                _allocatedBytes += 4L * best.Data.Length;
                _retainedBytes += 4L * best.Data.Length;
                bestOffset = 0;
            }
            best.Take(bestOffset, size);
            _retainedBytes -= 4L * size;
            segment = best;
            offset = bestOffset;
            return best.Data;
        }
    }

    /// <summary>Gives a segment block back; it merges with free neighbours. A segment that falls wholly free beyond the retention cap is dropped.</summary>
    internal void ReturnBlock(Segment segment, int offset, int length)
    {
        int size = RoundUp(length);
        lock (Gate)
        {
            if (!Segments.Contains(segment)) return; // dropped by Clear(): the block goes with its segment
            segment.Give(offset, size);
            _retainedBytes += 4L * size;
            if (_retainedBytes > _maxRetainedBytes && segment.IsWhollyFree)
            {
                Segments.Remove(segment);
                _retainedBytes -= 4L * segment.Data.Length;
            }
        }
    }

    /// <summary>Drops every retained buffer and every segment (they become garbage for the GC; blocks still in use keep theirs alive).</summary>
    public void Clear()
    {
        lock (Gate)
        {
            Buckets.Clear();
            Segments.Clear();
            _retainedBytes = 0;
        }
    }

    /// <summary>
    /// A new segment's length: the request, at least <see cref="MinSegmentLength"/>, and at least as much as all segments
    /// so far (geometric growth), so that after the first steps the blocks of a step fit in a few large segments where
    /// freed neighbours can merge. Untouched pages of a segment cost address space, not memory (the working set counts
    /// only pages that were written).
    /// </summary>
    private int NewSegmentLength(int size)
    {
        long have = 0;
        foreach (var s in Segments) have += s.Data.Length;
        return (int)Math.Min(Array.MaxLength, Math.Max(size, Math.Max(MinSegmentLength, have)));
    }

    private static int RoundUp(int length) => (int)Math.Min(int.MaxValue - Granule, ((long)length + Granule - 1) / Granule * Granule);

    /// <summary>One big array carved into blocks; the free blocks are kept sorted by offset.</summary>
    internal sealed class Segment(float[] data)
    {
        public readonly float[] Data = data;
        private readonly SortedList<int, int> _free = new() { { 0, data.Length } };

        public bool IsWhollyFree => _free.Count == 1 && _free.Values[0] == Data.Length;

        /// <summary>The smallest free block of at least <paramref name="size"/> floats.</summary>
        public bool FindBestFit(int size, out int offset, out int blockSize)
        {
            offset = 0;
            blockSize = int.MaxValue;
            for (int i = 0; i < _free.Count; i++)
            {
                int len = _free.Values[i];
                if (len >= size && len < blockSize)
                {
                    blockSize = len;
                    offset = _free.Keys[i];
                }
            }
            return blockSize != int.MaxValue;
        }

        /// <summary>Takes [offset, offset + size) from the free block that starts at offset.</summary>
        public void Take(int offset, int size)
        {
            int len = _free[offset];
            _free.Remove(offset);
            if (len > size) _free.Add(offset + size, len - size);
        }

        /// <summary>Frees [offset, offset + size), merging with the free blocks on either side.</summary>
        public void Give(int offset, int size)
        {
            int i = 0;
            while (i < _free.Count && _free.Keys[i] < offset) i++;
            int start = offset, end = offset + size;
            if (i < _free.Count && _free.Keys[i] == end)
            {
                end += _free.Values[i];
                _free.RemoveAt(i);
            }
            if (i > 0 && _free.Keys[i - 1] + _free.Values[i - 1] == start)
            {
                start = _free.Keys[i - 1];
                _free.RemoveAt(i - 1);
            }
            _free.Add(start, end - start);
        }
    }
}
