using ILGPU;

namespace NetBlocks.Cuda;

/// <summary>
/// Where a tiled GEMM reads op(A) (m × k) and op(B) (k × n) and writes C (m × n), per batch index z (the third grid
/// dimension: a group of a convolution, a matrix of a batched GEMM). A struct, so ILGPU compiles one kernel per operand
/// kind with the reads inlined: the dense matrices of <see cref="CudaGemm"/> and the implicit column matrices of
/// <see cref="CudaConvolution"/>, which gather from the image as they go instead of materialising im2col.
/// </summary>
public interface IGemmOperands
{
    float A(int z, int row, int depth);
    float B(int z, int depth, int column);
    void Store(int z, int row, int column, float value);
}

/// <summary>
/// The tiled SGEMM kernel every matrix product runs: a group of GroupX × GroupY threads computes a block of
/// (GroupY·<see cref="ThreadRows"/>) × (GroupX·<see cref="ThreadColumns"/>) outputs. Per stage the group copies TileK
/// columns of the A block and TileK rows of the B block into shared memory (zeros past the edges, so remainders need no
/// second code path), waits, and each thread accumulates its <see cref="ThreadRows"/> × <see cref="ThreadColumns"/>
/// outputs from registers (register blocking: a column of A and a row of B loaded once, used for all outer-product
/// terms). A thread's rows are ty, ty + GroupY, … and its columns tx, tx + GroupX, …, so neighbouring threads touch
/// neighbouring shared-memory words and neighbouring outputs. Every output is a sum over the depth in index order, so a
/// result does not depend on the launch: the same inputs give the same bits on every run.
/// </summary>
public static class GemmTiles
{
    /// <summary>Output rows a thread computes.</summary>
    public const int ThreadRows = 4;

    /// <summary>Output columns a thread computes.</summary>
    public const int ThreadColumns = 4;

    /// <summary>The kernel; grid (⌈n / block columns⌉, ⌈m / block rows⌉, batch), dynamic shared memory TileK·(rows + columns) floats.</summary>
    internal static void Kernel<TOperands>(TOperands operands, int m, int n, int k, int tileK) where TOperands : struct, IGemmOperands
    {
        int tx = Group.IdxX, ty = Group.IdxY, gx = Group.DimX, gy = Group.DimY;
        int threads = gx * gy, thread = ty * gx + tx;
        int blockRows = gy * ThreadRows, blockColumns = gx * ThreadColumns;
        int row0 = Grid.IdxY * blockRows, column0 = Grid.IdxX * blockColumns, z = Grid.IdxZ;
        var shared = SharedMemory.GetDynamic<float>();
        var tileA = shared.SubView(0, tileK * blockRows);
        var tileB = shared.SubView(tileK * blockRows, tileK * blockColumns);
        var accumulator = LocalMemory.Allocate<float>(ThreadRows * ThreadColumns);
        var a = LocalMemory.Allocate<float>(ThreadRows);
        var b = LocalMemory.Allocate<float>(ThreadColumns);
        for (int i = 0; i < ThreadRows * ThreadColumns; i++) accumulator[i] = 0f;

        for (int depth0 = 0; depth0 < k; depth0 += tileK)
        {
            for (int t = thread; t < tileK * blockRows; t += threads)
            {
                int d = t / blockRows, r = t - d * blockRows;
                int row = row0 + r, depth = depth0 + d;
                tileA[t] = row < m && depth < k ? operands.A(z, row, depth) : 0f;
            }
            for (int t = thread; t < tileK * blockColumns; t += threads)
            {
                int d = t / blockColumns, c = t - d * blockColumns;
                int column = column0 + c, depth = depth0 + d;
                tileB[t] = column < n && depth < k ? operands.B(z, depth, column) : 0f;
            }
            Group.Barrier();
            int stage = Math.Min(tileK, k - depth0);
            for (int d = 0; d < stage; d++)
            {
                for (int i = 0; i < ThreadRows; i++) a[i] = tileA[d * blockRows + ty + i * gy];
                for (int j = 0; j < ThreadColumns; j++) b[j] = tileB[d * blockColumns + tx + j * gx];
                for (int i = 0; i < ThreadRows; i++)
                for (int j = 0; j < ThreadColumns; j++)
                    accumulator[i * ThreadColumns + j] += a[i] * b[j];
            }
            Group.Barrier();
        }

        for (int i = 0; i < ThreadRows; i++)
        {
            int row = row0 + ty + i * gy;
            if (row >= m) continue;
            for (int j = 0; j < ThreadColumns; j++)
            {
                int column = column0 + tx + j * gx;
                if (column < n) operands.Store(z, row, column, accumulator[i * ThreadColumns + j]);
            }
        }
    }

    /// <summary>The launch of <see cref="Kernel{TOperands}"/> for an m × n × k product over <paramref name="batch"/> matrices.</summary>
    internal static KernelConfig Launch(CudaTiling tiling, int m, int n, int batch)
    {
        int gridX = (n + tiling.BlockColumns - 1) / tiling.BlockColumns;
        int gridY = (m + tiling.BlockRows - 1) / tiling.BlockRows;
        return new KernelConfig(
            new Index3D(Math.Max(1, gridX), Math.Max(1, gridY), Math.Max(1, batch)),
            new Index3D(tiling.GroupX, tiling.GroupY, 1),
            SharedMemoryConfig.RequestDynamic<float>(tiling.TileK * (tiling.BlockRows + tiling.BlockColumns)));
    }
}
