namespace NetBlocks.Tensors;

/// <summary>
/// The float buffer behind one or more tensors (a tensor and its views): <see cref="Length"/> floats of
/// <see cref="Data"/> from <see cref="Offset"/> (a whole array, or a block of one of the pool's segments).
/// Reference-counted: the buffer goes back to <see cref="TensorPool"/> when the last tensor using it is released; a
/// segment block whose tensors were dropped without a release goes back when the storage is finalised.
/// </summary>
internal sealed class Storage
{
    public readonly float[] Data;
    public readonly int Offset;
    public readonly int Length;
    private readonly bool _pooled;
    private readonly TensorPool.Segment? _segment;
    private int _refs = 1;

    private Storage(float[] data, int offset, int length, bool pooled, TensorPool.Segment? segment)
    {
        Data = data; Offset = offset; Length = length; _pooled = pooled; _segment = segment;
        if (segment is null) GC.SuppressFinalize(this);
    }

    public static Storage Rent(int length)
    {
        var data = TensorPool.RentBlock(length, out int offset, out var segment);
        return new Storage(data, offset, length, pooled: true, segment);
    }

    public static Storage Wrap(float[] data) => new(data, 0, data.Length, pooled: false, segment: null);

    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>A pool buffer that exactly one tensor holds: it may be written over by an op that consumes that tensor.</summary>
    public bool IsExclusivePooled => _pooled && Volatile.Read(ref _refs) == 1;

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0 || !_pooled) return;
        if (_segment is null) TensorPool.Return(Data);
        else
        {
            GC.SuppressFinalize(this);
            TensorPool.ReturnBlock(_segment, Offset, Length);
        }
    }

    ~Storage()
    {
        if (_segment is not null && Volatile.Read(ref _refs) > 0) TensorPool.ReturnBlock(_segment, Offset, Length);
    }
}
