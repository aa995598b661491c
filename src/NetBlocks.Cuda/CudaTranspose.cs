using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// y (cols × rows) = xᵀ for a row-major matrix x (rows × cols), a thread per element of y (the writes are contiguous,
/// the reads strided), the CPU backend's <c>Transpose</c>: a copy, so the values are the same bits.
/// </summary>
public sealed class CudaTranspose
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> _kernel;

    internal CudaTranspose(CudaContext context)
        => _kernel = context.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(Kernel);

    public void Transpose(ArrayView<float> x, ArrayView<float> y, int rows, int cols)
    {
        const string op = "cuda transpose";
        if (rows < 0 || cols < 0) throw new ArgumentException($"{op}: negative size ({rows} × {cols})");
        long count = (long)rows * cols;
        if (x.Length != count || y.Length != count)
            throw new ArgumentException($"{op}: x has {x.Length} and y {y.Length} elements for {rows} × {cols}");
        if (count > int.MaxValue) throw new ArgumentException($"{op}: {count} elements exceed a kernel launch");
        if (count > 0) _kernel((int)count, x, y, rows);
    }

    /// <summary>y[j, i] = x[i, j]: element e of y is row j = e / rows, column i = e % rows.</summary>
    private static void Kernel(Index1D index, ArrayView<float> x, ArrayView<float> y, int rows)
    {
        int cols = (int)(x.Length / rows);
        int j = index / rows, i = index - j * rows;
        y[index] = x[(long)i * cols + j];
    }
}
