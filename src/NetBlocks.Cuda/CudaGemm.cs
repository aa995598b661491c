using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// C = alpha · op(A) · op(B) + beta · C on the device, row-major with leading dimensions, exactly the contract of the
/// engine's CPU <c>Gemm.Sgemm</c>: op(A) is m×k (A is m×k with lda ≥ k, or k×m with lda ≥ m when transA); op(B) is k×n
/// (B is k×n with ldb ≥ n, or n×k with ldb ≥ k when transB); C is m×n with ldc ≥ n; beta = 0 overwrites C without
/// reading it. <see cref="SgemmBatched"/> runs <c>batch</c> such products whose matrices lie a fixed stride apart.
/// Runs <see cref="GemmTiles"/>.
/// </summary>
public sealed class CudaGemm
{
    private readonly CudaContext _context;
    private readonly Action<KernelConfig, DenseOperands, int, int, int, int> _kernel;

    internal CudaGemm(CudaContext context)
    {
        _context = context;
        _kernel = context.Accelerator.LoadStreamKernel<DenseOperands, int, int, int, int>(GemmTiles.Kernel);
    }

    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ArrayView<float> a, int lda,
        ArrayView<float> b, int ldb, float beta, ArrayView<float> c, int ldc)
        => SgemmBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);

    /// <summary>
    /// For z in [0, batch): C_z = alpha · op(A_z) · op(B_z) + beta · C_z with A_z starting at z·strideA (likewise B, C);
    /// a stride of 0 shares that matrix between all products.
    /// </summary>
    public void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha, ArrayView<float> a, int lda, long strideA,
        ArrayView<float> b, int ldb, long strideB, float beta, ArrayView<float> c, int ldc, long strideC, int batch)
    {
        const string op = "cuda sgemm";
        if (m < 0 || n < 0 || k < 0 || batch < 0) throw new ArgumentException($"{op}: negative size (m={m}, n={n}, k={k}, batch={batch})");
        if (lda < Math.Max(1, transA ? m : k)) throw new ArgumentException($"{op}: lda {lda} < {(transA ? m : k)}");
        if (ldb < Math.Max(1, transB ? k : n)) throw new ArgumentException($"{op}: ldb {ldb} < {(transB ? k : n)}");
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"{op}: ldc {ldc} < {n}");
        if (strideA < 0 || strideB < 0 || strideC < 0) throw new ArgumentException($"{op}: negative batch stride");
        if (m == 0 || n == 0 || batch == 0) return;
        CheckLength(op, "a", a.Length, transA ? k : m, transA ? m : k, lda, strideA, batch);
        CheckLength(op, "b", b.Length, transB ? n : k, transB ? k : n, ldb, strideB, batch);
        CheckLength(op, "c", c.Length, m, n, ldc, strideC, batch);
        var operands = new DenseOperands
        {
            MatrixA = a, MatrixB = b, MatrixC = c, Lda = lda, Ldb = ldb, Ldc = ldc, StrideA = strideA, StrideB = strideB, StrideC = strideC,
            TransA = transA ? 1 : 0, TransB = transB ? 1 : 0, Alpha = alpha, Beta = beta,
        };
        _kernel(GemmTiles.Launch(_context.Tiling, m, n, batch), operands, m, n, k, _context.Tiling.TileK);
    }

    /// <summary>A matrix of rows × columns with leading dimension ld, batch times stride apart, fits in the view.</summary>
    private static void CheckLength(string op, string name, long length, int rows, int columns, int ld, long stride, int batch)
    {
        long needed = rows == 0 || columns == 0 ? 0 : (long)(batch - 1) * stride + (long)(rows - 1) * ld + columns;
        if (length < needed) throw new ArgumentException($"{op}: {name} has {length} elements, needs {needed}");
    }

    /// <summary>Dense row-major matrices, optionally transposed, batch matrices a stride apart.</summary>
    internal struct DenseOperands : IGemmOperands
    {
        public ArrayView<float> MatrixA, MatrixB, MatrixC;
        public long StrideA, StrideB, StrideC;
        public int Lda, Ldb, Ldc, TransA, TransB;
        public float Alpha, Beta;

        public readonly float A(int z, int row, int depth)
            => MatrixA[z * StrideA + (TransA != 0 ? (long)depth * Lda + row : (long)row * Lda + depth)];

        public readonly float B(int z, int depth, int column)
            => MatrixB[z * StrideB + (TransB != 0 ? (long)column * Ldb + depth : (long)depth * Ldb + column)];

        public readonly void Store(int z, int row, int column, float value)
        {
            long index = z * StrideC + (long)row * Ldc + column;
            MatrixC[index] = Beta == 0f ? Alpha * value : Alpha * value + Beta * MatrixC[index];
        }
    }
}
