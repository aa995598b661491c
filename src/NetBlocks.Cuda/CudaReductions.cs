using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// The reductions along one dimension and over a whole tensor, on the device, with the CPU backend's rules. x is seen
/// as (outer, size, inner) around the dimension:
/// <list type="bullet">
/// <item><see cref="MaxAlong"/>: the first maximum along the dimension, a thread per (outer, inner) pair scanning in
/// index order with <c>v &gt; best</c>, as the CPU: the first of equal maxima wins, a NaN never replaces a number and a
/// NaN in first place stays (index 0, value NaN);</item>
/// <item><see cref="MaxAlongBackward"/>: dx = dy at that index, 0 elsewhere, a thread per element of dx;</item>
/// <item><see cref="SumOfSquares"/>: Σ x² in double, in a fixed order (strided per-thread sums and a tree per group,
/// then one group over the groups' partial sums), so it repeats bit for bit on the same device; it differs from the
/// CPU's element-order sum only by rounding. The one double comes back to the host (one wait).</item>
/// </list>
/// </summary>
public sealed class CudaReductions
{
    /// <summary>The most groups the first pass of <see cref="SumOfSquares"/> uses (each then sums a strided share).</summary>
    public const int MaxPartialSums = 1024;

    private readonly CudaContext _context;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int> _maxAlong;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int> _maxAlongBackward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<double>> _squares;
    private readonly Action<KernelConfig, ArrayView<double>, ArrayView<double>> _total;

    internal CudaReductions(CudaContext context)
    {
        _context = context;
        var a = context.Accelerator;
        _maxAlong = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>(MaxAlongKernel);
        _maxAlongBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(MaxAlongBackwardKernel);
        _squares = a.LoadStreamKernel<ArrayView<float>, ArrayView<double>>(SquaresKernel);
        _total = a.LoadStreamKernel<ArrayView<double>, ArrayView<double>>(TotalKernel);
    }

    /// <summary>
    /// indices[o, i] = the first k with x[o, k, i] maximal, and values[o, i] = that maximum when
    /// <paramref name="values"/> is not empty.
    /// </summary>
    public void MaxAlong(ArrayView<float> x, ArrayView<float> values, ArrayView<int> indices, int outer, int size, int inner)
    {
        const string op = "cuda max";
        long pairs = Pairs(op, outer, size, inner, x.Length);
        if (indices.Length != pairs) throw new ArgumentException($"{op}: {indices.Length} indices for {outer} × {inner} maxima");
        if (values.Length != 0 && values.Length != pairs) throw new ArgumentException($"{op}: {values.Length} values for {outer} × {inner} maxima");
        if (pairs == 0) return;
        if (size == 0) throw new ArgumentException($"{op}: a dimension of size 0 has no maximum");
        _maxAlong((int)pairs, x, values.OrEmptyOf(x), indices, size, inner);
    }

    /// <summary>dx[o, k, i] = dy[o, i] where k = indices[o, i], else 0.</summary>
    public void MaxAlongBackward(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, int outer, int size, int inner)
    {
        const string op = "cuda max backward";
        long pairs = Pairs(op, outer, size, inner, dx.Length);
        if (dy.Length != pairs || indices.Length != pairs)
            throw new ArgumentException($"{op}: dy has {dy.Length} values and indices {indices.Length} for {outer} × {inner} maxima");
        if (dx.Length > 0) _maxAlongBackward((int)dx.Length, dy, indices, dx, size, inner);
    }

    /// <summary><paramref name="total"/> + Σ x² (the squares summed in double on the device, then added to the total).</summary>
    public double SumOfSquares(ArrayView<float> x, double total)
    {
        if (x.Length == 0) return total;
        int group = _context.Tiling.ReduceGroup;
        // a few elements a thread at least; the partition depends on the length and the group only
        long groups = Math.Clamp((x.Length + 4L * group - 1) / (4L * group), 1, MaxPartialSums);
        using var partial = _context.Rent<double>(groups);
        using var sum = _context.Rent<double>(1);
        var shared = SharedMemoryConfig.RequestDynamic<double>(group);
        _squares(new KernelConfig(new Index1D((int)groups), new Index1D(group), shared), x, partial.View);
        _total(new KernelConfig(new Index1D(1), new Index1D(group), shared), partial.View, sum.View);
        return total + sum.Download()[0];
    }

    private static long Pairs(string op, int outer, int size, int inner, long elements)
    {
        if (outer < 0 || size < 0 || inner < 0) throw new ArgumentException($"{op}: negative size ({outer} × {size} × {inner})");
        if ((long)outer * size * inner != elements)
            throw new ArgumentException($"{op}: {elements} elements for {outer} × {size} × {inner}");
        if (elements > int.MaxValue) throw new ArgumentException($"{op}: {elements} elements exceed a kernel launch");
        return (long)outer * inner;
    }

    private static void MaxAlongKernel(Index1D index, ArrayView<float> x, ArrayView<float> values, ArrayView<int> indices, int size, int inner)
    {
        int o = index / inner, i = index - o * inner;
        long start = (long)o * size * inner + i;
        int best = 0;
        float bestValue = x[start];
        for (int k = 1; k < size; k++)
        {
            float v = x[start + (long)k * inner];
            if (v > bestValue) { bestValue = v; best = k; }
        }
        indices[index] = best;
        if (values.Length != 0) values[index] = bestValue;
    }

    private static void MaxAlongBackwardKernel(Index1D index, ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, int size, int inner)
    {
        long plane = (long)size * inner;
        int o = (int)(index / plane);
        int rest = (int)(index - o * plane);
        int k = rest / inner, i = rest - k * inner;
        int pair = o * inner + i;
        dx[index] = indices[pair] == k ? dy[pair] : 0f;
    }

    /// <summary>Group g's partial sum of squares: thread t adds elements g·T + t, then every T·G further; a tree per group.</summary>
    private static void SquaresKernel(ArrayView<float> x, ArrayView<double> partial)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        double sum = 0;
        for (long e = (long)Grid.IdxX * Group.DimX + Group.IdxX; e < x.Length; e += stride)
        {
            double v = x[e];
            sum += v * v;
        }
        double total = ChannelReduction.Sum(SharedMemory.GetDynamic<double>(), sum);
        if (Group.IdxX == 0) partial[Grid.IdxX] = total;
    }

    /// <summary>One group adds the partial sums: thread t takes t, t + T, …, then the tree.</summary>
    private static void TotalKernel(ArrayView<double> partial, ArrayView<double> sum)
    {
        double s = 0;
        for (long e = Group.IdxX; e < partial.Length; e += Group.DimX) s += partial[e];
        double total = ChannelReduction.Sum(SharedMemory.GetDynamic<double>(), s);
        if (Group.IdxX == 0) sum[0] = total;
    }
}
