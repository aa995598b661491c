using NetBlocks.Kernels;

namespace NetBlocks.Tensors;

/// <summary>Shape arithmetic shared by tensors, ops and the analysis layer.</summary>
public static class ShapeUtil
{
    /// <summary>The element count of a tensor of this shape; more than one array holds is an error naming the shape (see <see cref="Sizes"/>).</summary>
    public static int Numel(ReadOnlySpan<int> shape) => Sizes.Elements(shape);

    public static int[] Validate(int[] shape)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"negative dimension in shape {Format(shape)}");
        return shape;
    }

    /// <summary>Shape as PyTorch prints it: (2, 3, 4).</summary>
    public static string Format(ReadOnlySpan<int> shape) => Sizes.Format(shape);

    public static int NormalizeDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} out of range for a tensor of rank {rank}");
        return d;
    }

    public static int FlatIndex(ReadOnlySpan<int> shape, ReadOnlySpan<int> index)
    {
        if (index.Length != shape.Length)
            throw new ArgumentException($"index of rank {index.Length} for a tensor of shape {Format(shape)}");
        int flat = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i])
                throw new IndexOutOfRangeException($"index {index[i]} out of range for dimension {i} of size {shape[i]}");
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Resolves one -1 entry of a reshape target against an element count.</summary>
    public static int[] ResolveReshape(ReadOnlySpan<int> from, int[] to)
    {
        int numel = Numel(from);
        int infer = -1;
        long known = 1;
        for (int i = 0; i < to.Length; i++)
        {
            if (to[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"only one dimension can be -1 in reshape to {Format(to)}");
                infer = i;
            }
            else if (to[i] < 0) throw new ArgumentException($"invalid dimension {to[i]} in reshape to {Format(to)}");
            else if (!Sizes.TryMultiply(known, to[i], out known))
                throw new ArgumentException($"reshape to {Format(to)}: more elements than a 64-bit count holds");
        }
        var result = (int[])to.Clone();
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new ArgumentException($"cannot reshape a tensor of shape {Format(from)} to {Format(to)}");
            result[infer] = (int)(numel / known);
        }
        if (Numel(result) != numel)
            throw new ArgumentException($"cannot reshape a tensor of shape {Format(from)} ({numel} elements) to {Format(to)}");
        return result;
    }

    /// <summary>The broadcast shape of two shapes (NumPy rules), or an error naming both.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }
}
