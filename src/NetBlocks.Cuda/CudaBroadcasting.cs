using ILGPU;
using ILGPU.Runtime;
using NetBlocks.Kernels;
using NetBlocks.Tensors;
using static NetBlocks.Kernels.Broadcasting;

namespace NetBlocks.Cuda;

/// <summary>
/// Binary ops with NumPy broadcasting and the reduction of a broadcast gradient, on the device, with the engine's
/// <c>Broadcasting</c> rules and arithmetic (shapes right-aligned, a dimension of 1 repeats):
/// <list type="bullet">
/// <item><see cref="Binary"/>: z = x ∘ y (+, −, ·, ÷), a thread per output element, each input read through its
/// broadcast strides (0 where it repeats);</item>
/// <item><see cref="ReduceTo"/>: a gradient g of the broadcast shape summed back to an input's shape, in double. A
/// result element with few elements of g to add (fewer than <see cref="GroupedFrom"/> reduction groups' worth) is one
/// thread adding them in g's element order, as the CPU does: the CPU's result bit for bit (squeeze-excitation's
/// (N, C, 1, 1), for instance). One with many (a (1, C, 1, 1) bias, a scalar) is one group: thread t adds elements
/// t, t + T, …, then a tree in shared memory (<see cref="ChannelReduction"/>), so that a few results do not leave the
/// device idle; equal to the CPU's within rounding. Either way the order depends on the shapes and the reduction group
/// only, so a result repeats bit for bit on the same device.</item>
/// </list>
/// Shapes are coalesced first (<see cref="StridedDims.Coalesce"/>); the kernels take the innermost
/// <see cref="StridedDims.Max"/> dimensions of each kind by value, and the host walks any further leading ones, one
/// launch each (ranks that high are rare; nothing is refused for its rank). No shape is uploaded, so nothing waits.
/// </summary>
public sealed class CudaBroadcasting
{
    /// <summary>A result element sums its elements of g with a group, not a thread, from this many groups' worth on.</summary>
    public const int GroupedFrom = 4;

    private readonly CudaContext _context;
    private readonly Action<Index1D, BinaryArgs> _binary;
    private readonly Action<Index1D, ReduceArgs> _reduce;
    private readonly Action<KernelConfig, ReduceArgs> _reduceGrouped;

    internal CudaBroadcasting(CudaContext context)
    {
        _context = context;
        var a = context.Accelerator;
        _binary = a.LoadAutoGroupedStreamKernel<Index1D, BinaryArgs>(BinaryKernel);
        _reduce = a.LoadAutoGroupedStreamKernel<Index1D, ReduceArgs>(ReduceKernel);
        _reduceGrouped = a.LoadStreamKernel<ReduceArgs>(GroupedReduceKernel);
    }

    /// <summary>z (shape <paramref name="zShape"/>, the broadcast of x's and y's shapes) = x ∘ y.</summary>
    public void Binary(BinaryOp op, ArrayView<float> x, int[] xShape, ArrayView<float> y, int[] yShape, ArrayView<float> z, int[] zShape)
    {
        string name = $"cuda {op.ToString().ToLowerInvariant()}";
        var expected = ShapeUtil.Broadcast(xShape, yShape);
        if (!expected.AsSpan().SequenceEqual(zShape))
            throw new ArgumentException($"{name}: the output has shape {ShapeUtil.Format(zShape)}, the broadcast of {ShapeUtil.Format(xShape)} and {ShapeUtil.Format(yShape)} is {ShapeUtil.Format(expected)}");
        CheckLength(name, "x", x, xShape);
        CheckLength(name, "y", y, yShape);
        CheckLength(name, "z", z, zShape);
        if (z.Length == 0) return;
        var dims = StridedDims.Coalesce(zShape, Broadcasting.Strides(xShape, zShape), Broadcasting.Strides(yShape, zShape));
        int split = Math.Max(0, dims.Count - StridedDims.Max);
        var leading = dims.GetRange(0, split);
        var inner = StridedDims.From(dims.ToArray().AsSpan(split));
        var args = new BinaryArgs { X = x, Y = y, Z = z, Op = (int)op, Dims = inner };
        StridedDims.ForEachLeading(leading, (xBase, yBase, coordinates) =>
        {
            args.XBase = xBase;
            args.YBase = yBase;
            args.ZBase = LinearIndex(leading, coordinates) * inner.Count;
            _binary(inner.Count, args);
        });
    }

    /// <summary>
    /// result (shape <paramref name="resultShape"/>, which broadcasts to <paramref name="gShape"/>) = g summed over the
    /// dimensions broadcasting added or repeated, in double, each result element in g's element order.
    /// </summary>
    public void ReduceTo(ArrayView<float> g, int[] gShape, ArrayView<float> result, int[] resultShape)
    {
        const string name = "cuda reduce_to";
        if (!BroadcastsTo(resultShape, gShape))
            throw new ArgumentException($"{name}: shape {ShapeUtil.Format(resultShape)} does not broadcast to the gradient's {ShapeUtil.Format(gShape)}");
        CheckLength(name, "g", g, gShape);
        CheckLength(name, "result", result, resultShape);
        if (result.Length == 0) return;
        if (g.Length == 0)
        {
            _context.Elementwise.Fill(result, 0f); // sums of nothing, as the CPU's
            return;
        }
        var dims = StridedDims.Coalesce(gShape, ContiguousStrides(gShape), Broadcasting.Strides(resultShape, gShape));
        // the innermost dimensions go to the kernel, at most Max kept (result stride ≠ 0) and Max reduced (stride 0)
        int split = dims.Count, keptCount = 0, reducedCount = 0;
        while (split > 0)
        {
            bool kept = dims[split - 1].StrideB != 0;
            if ((kept ? keptCount : reducedCount) == StridedDims.Max) break;
            if (kept) keptCount++; else reducedCount++;
            split--;
        }
        var inner = dims.GetRange(split, dims.Count - split);
        var leading = dims.GetRange(0, split);
        var args = new ReduceArgs
        {
            G = g, Result = result,
            Kept = StridedDims.From(inner.Where(d => d.StrideB != 0).ToArray()),
            Reduced = StridedDims.From(inner.Where(d => d.StrideB == 0).ToArray()),
        };
        int group = _context.Tiling.ReduceGroup;
        bool grouped = args.Reduced.Count >= (long)GroupedFrom * group;
        bool accumulates = leading.Any(d => d.StrideB == 0);
        using var partial = _context.Rent<double>(accumulates ? result.Length : 1);
        args.Partial = partial.View;
        StridedDims.ForEachLeading(leading, (gBase, resultBase, coordinates) =>
        {
            bool first = true, last = true; // the leading reduced coordinates: the first visit starts each sum, the last writes it
            for (int d = 0; d < leading.Count; d++)
            {
                if (leading[d].StrideB != 0) continue;
                first &= coordinates[d] == 0;
                last &= coordinates[d] == leading[d].Size - 1;
            }
            args.GBase = gBase;
            args.ResultBase = resultBase;
            args.First = first ? 1 : 0;
            args.Last = last ? 1 : 0;
            if (grouped) _reduceGrouped(ChannelReduction.Launch(args.Kept.Count, group), args);
            else _reduce(args.Kept.Count, args);
        });
    }

    /// <summary>Whether <paramref name="shape"/>, right-aligned, has each size equal to <paramref name="full"/>'s or 1.</summary>
    private static bool BroadcastsTo(int[] shape, int[] full)
    {
        if (shape.Length > full.Length) return false;
        int lead = full.Length - shape.Length;
        for (int d = 0; d < shape.Length; d++)
            if (shape[d] != 1 && shape[d] != full[lead + d]) return false;
        return true;
    }

    private static int[] ContiguousStrides(int[] shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    private static int LinearIndex(List<StridedDim> dims, int[] coordinates)
    {
        int index = 0;
        for (int d = 0; d < dims.Count; d++) index = index * dims[d].Size + coordinates[d];
        return index;
    }

    private static void CheckLength(string op, string name, ArrayView<float> view, int[] shape)
    {
        long count = 1;
        foreach (int size in shape) count *= size;
        if (view.Length != count) throw new ArgumentException($"{op}: {name} has {view.Length} elements for shape {ShapeUtil.Format(shape)}");
    }

    internal struct BinaryArgs
    {
        public ArrayView<float> X, Y, Z;
        public int XBase, YBase, ZBase, Op;
        public StridedDims Dims;
    }

    private static void BinaryKernel(Index1D index, BinaryArgs p)
    {
        p.Dims.Offsets(index, out int xo, out int yo);
        float a = p.X[p.XBase + xo], b = p.Y[p.YBase + yo];
        float z;
        if (p.Op == (int)BinaryOp.Add) z = a + b;
        else if (p.Op == (int)BinaryOp.Subtract) z = a - b;
        else if (p.Op == (int)BinaryOp.Multiply) z = a * b;
        else z = a / b;
        p.Z[p.ZBase + index] = z;
    }

    internal struct ReduceArgs
    {
        public ArrayView<float> G, Result;
        public ArrayView<double> Partial;
        public int GBase, ResultBase, First, Last;
        public StridedDims Kept, Reduced;
    }

    /// <summary>Result element <paramref name="index"/> of this launch: its sum so far, plus its elements of g in order.</summary>
    private static void ReduceKernel(Index1D index, ReduceArgs p)
    {
        p.Kept.Offsets(index, out int g0, out int r);
        int start = p.GBase + g0, target = p.ResultBase + r;
        double sum = p.First != 0 ? 0.0 : p.Partial[target];
        for (int j = 0; j < p.Reduced.Count; j++)
        {
            p.Reduced.Offsets(j, out int gj, out _);
            sum += p.G[start + gj];
        }
        if (p.Last != 0) p.Result[target] = (float)sum;
        else p.Partial[target] = sum;
    }

    /// <summary>Result element (the group's index) of this launch: the group's fixed-order tree sum of its elements of g.</summary>
    private static void GroupedReduceKernel(ReduceArgs p)
    {
        p.Kept.Offsets(Grid.IdxX, out int g0, out int r);
        int start = p.GBase + g0;
        double sum = 0;
        for (int j = Group.IdxX; j < p.Reduced.Count; j += Group.DimX)
        {
            p.Reduced.Offsets(j, out int gj, out _);
            sum += p.G[start + gj];
        }
        double total = ChannelReduction.Sum(SharedMemory.GetDynamic<double>(), sum);
        if (Group.IdxX != 0) return;
        int target = p.ResultBase + r;
        if (p.First == 0) total = p.Partial[target] + total;
        if (p.Last != 0) p.Result[target] = (float)total;
        else p.Partial[target] = total;
    }
}
