namespace NetBlocks.Cuda;

/// <summary>
/// The launch shapes of the kernels: the tiled GEMM's thread group (GroupX × GroupY threads, each computing
/// <see cref="GemmTiles.ThreadRows"/> × <see cref="GemmTiles.ThreadColumns"/> outputs, so one group computes a block of
/// (GroupY·ThreadRows) × (GroupX·ThreadColumns)) and its depth per shared-memory stage (TileK); the thread count of a
/// per-channel reduction group (a power of two: the tree reduction halves it). <see cref="Gpu"/> suits a real GPU;
/// the tests run the CPU accelerator with small groups so that every remainder of every tile is reached on small shapes.
/// </summary>
public sealed record CudaTiling(int GroupX, int GroupY, int TileK, int ReduceGroup)
{
    /// <summary>16 × 16 threads (a 64 × 64 block with 4 × 4 outputs a thread), 16 deep; 256-thread reductions.</summary>
    public static CudaTiling Gpu { get; } = new(16, 16, 16, 256);

    /// <summary>Rows of one GEMM block.</summary>
    public int BlockRows => GroupY * GemmTiles.ThreadRows;

    /// <summary>Columns of one GEMM block.</summary>
    public int BlockColumns => GroupX * GemmTiles.ThreadColumns;

    /// <summary>Checks the shapes once, when a context is created.</summary>
    internal void Validate(int maxGroupSize)
    {
        if (GroupX < 1 || GroupY < 1 || TileK < 1)
            throw new ArgumentException($"CUDA tiling: GEMM group {GroupX}×{GroupY} and depth {TileK} must be positive");
        if (GroupX * GroupY > maxGroupSize)
            throw new ArgumentException($"CUDA tiling: a GEMM group of {GroupX}×{GroupY} threads exceeds the device's {maxGroupSize} threads per group");
        if (ReduceGroup < 1 || (ReduceGroup & (ReduceGroup - 1)) != 0 || ReduceGroup > maxGroupSize)
            throw new ArgumentException($"CUDA tiling: the reduction group ({ReduceGroup}) must be a power of two of at most {maxGroupSize} threads");
    }
}
