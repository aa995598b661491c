namespace NetBlocks.Tensors;

/// <summary>
/// The float buffer behind one or more tensors (a tensor and its views): <see cref="Length"/> floats of
/// <see cref="Data"/> from <see cref="Offset"/> (a whole array, or a block of one of the pool's segments). An int32
/// tensor's storage holds <see cref="Int32Data"/> instead (never pooled: labels and indices are small).
/// Reference-counted: the buffer goes back to the <see cref="TensorPool"/> it came from (the current context's when it was
/// rented) when the last tensor using it is released; a
/// segment block whose tensors were dropped without a release goes back when its <see cref="BlockLease"/> is finalised.
/// A storage on another device (<see cref="Memory"/>, from that device's registered backend) holds no array: its
/// elements are reached by copying, and its buffer goes back to the device's allocator when the last tensor using it is
/// released (deterministically; a device storage has no finaliser).
/// </summary>
internal sealed class Storage
{
    public readonly float[] Data;
    /// <summary>The elements of an int32 storage (then <see cref="Data"/> is empty); null for float32.</summary>
    public readonly int[]? Int32Data;
    public readonly int Offset;
    public readonly int Length;
    /// <summary>The device buffer of a storage that lives off the CPU; null on the CPU.</summary>
    public readonly DeviceMemory? Memory;
    private readonly TensorPool? _pool;
    private readonly BlockLease? _block;
    private int _refs = 1;

    private Storage(float[] data, int offset, int length, TensorPool? pool, BlockLease? block)
    {
        Data = data; Offset = offset; Length = length; _pool = pool; _block = block;
    }

    /// <summary>A buffer of <paramref name="length"/> floats from the current context's pool.</summary>
    public static Storage Rent(int length)
    {
        var pool = ExecutionContext.Current.Pool;
        var data = pool.RentBlock(length, out int offset, out var segment);
        return new Storage(data, offset, length, pool, segment is null ? null : new BlockLease(pool, segment, offset, length));
    }

    public static Storage Wrap(float[] data) => new(data, 0, data.Length, pool: null, block: null);

    /// <summary>An int32 storage around <paramref name="data"/> (not pooled).</summary>
    public static Storage WrapInt32(int[] data) => new(data);

    private Storage(int[] data)
    {
        Data = []; Int32Data = data; Offset = 0; Length = data.Length; _pool = null; _block = null;
    }

    /// <summary>A storage of <paramref name="length"/> elements on <paramref name="device"/>, from its registered backend.</summary>
    public static Storage OnDevice(Device device, int length, DType dtype) =>
        new(Backends.Backend.DeviceBackend(device).Allocate(length, dtype));

    private Storage(DeviceMemory memory)
    {
        Data = []; Memory = memory; Offset = 0; Length = memory.Length; _pool = null; _block = null;
    }

    public DType DType => Memory?.DType ?? (Int32Data is null ? DType.Float32 : DType.Int32);

    /// <summary>Where the elements live: the CPU, or the device of <see cref="Memory"/>.</summary>
    public Device Device => Memory?.Device ?? Device.Cpu;

    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>A pool buffer that exactly one tensor holds: it may be written over by an op that consumes that tensor.</summary>
    public bool IsExclusivePooled => (_pool is not null || Memory is not null) && Volatile.Read(ref _refs) == 1;

    /// <summary>More than one tensor holds this buffer (a tensor and its views).</summary>
    public bool IsShared => Volatile.Read(ref _refs) > 1;

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        if (Memory is not null) { Memory.Release(); return; }
        if (_pool is null) return;
        if (_block is null) _pool.Return(Data);
        else _block.Return();
    }

    /// <summary>
    /// A segment block held by one storage. Only these are finalisable (whole-array storages are simply collected), so
    /// the GC's finalisation bookkeeping is paid once per large tensor, not for every tensor.
    /// </summary>
    private sealed class BlockLease(TensorPool pool, TensorPool.Segment segment, int offset, int length)
    {
        private int _returned;

        /// <summary>Gives the block back to its segment, once.</summary>
        public void Return()
        {
            if (Interlocked.Exchange(ref _returned, 1) != 0) return;
            GC.SuppressFinalize(this);
            pool.ReturnBlock(segment, offset, length);
        }

        ~BlockLease() => Return();
    }
}
