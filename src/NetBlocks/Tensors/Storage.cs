namespace NetBlocks.Tensors;

/// <summary>
/// The float buffer behind one or more tensors (a tensor and its views). Reference-counted: the buffer goes back
/// to <see cref="TensorPool"/> when the last tensor using it is released.
/// </summary>
internal sealed class Storage
{
    public readonly float[] Data;
    private readonly bool _pooled;
    private int _refs = 1;

    private Storage(float[] data, bool pooled) { Data = data; _pooled = pooled; }

    public static Storage Rent(int length) => new(TensorPool.Rent(length), pooled: true);
    public static Storage Wrap(float[] data) => new(data, pooled: false);

    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>A pool buffer that exactly one tensor holds: it may be written over by an op that consumes that tensor.</summary>
    public bool IsExclusivePooled => _pooled && Volatile.Read(ref _refs) == 1;

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0 && _pooled) TensorPool.Return(Data);
    }
}
