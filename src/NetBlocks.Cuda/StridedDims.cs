namespace NetBlocks.Cuda;

/// <summary>
/// One dimension of a strided walk: its size and the element strides of two tensors along it (0 where a tensor is
/// broadcast).
/// </summary>
internal readonly record struct StridedDim(int Size, int StrideA, int StrideB);

/// <summary>
/// Up to <see cref="Max"/> dimensions of a strided walk over two tensors, passed to a kernel by value (no upload, so no
/// host wait). Dimension 0 is the innermost. <see cref="Offsets"/> turns a linear index (row-major over the sizes) into
/// the two tensors' element offsets; unused dimensions have size 1 and stride 0. Shapes are first coalesced
/// (<see cref="Coalesce"/>), so the usual broadcasts need two or three dimensions; what is left beyond <see cref="Max"/>
/// is walked by the host, one launch per leading index.
/// </summary>
internal struct StridedDims
{
    public const int Max = 6;

    public int Size0, Size1, Size2, Size3, Size4, Size5;
    public int A0, A1, A2, A3, A4, A5;
    public int B0, B1, B2, B3, B4, B5;

    /// <summary>The number of indices the dimensions span (the product of their sizes).</summary>
    public int Count;

    /// <summary>The tensors' offsets of linear index <paramref name="index"/> (row-major: dimension 0 varies fastest).</summary>
    public readonly void Offsets(int index, out int a, out int b)
    {
        int rest = index;
        a = 0; b = 0;
        Step(ref rest, ref a, ref b, Size0, A0, B0);
        Step(ref rest, ref a, ref b, Size1, A1, B1);
        Step(ref rest, ref a, ref b, Size2, A2, B2);
        Step(ref rest, ref a, ref b, Size3, A3, B3);
        Step(ref rest, ref a, ref b, Size4, A4, B4);
        Step(ref rest, ref a, ref b, Size5, A5, B5);
    }

    private static void Step(ref int rest, ref int a, ref int b, int size, int strideA, int strideB)
    {
        int next = rest / size;
        int coordinate = rest - next * size;
        a += coordinate * strideA;
        b += coordinate * strideB;
        rest = next;
    }

    /// <summary>The kernel's dimensions from <paramref name="dims"/>, given outermost first (at most <see cref="Max"/>).</summary>
    public static StridedDims From(ReadOnlySpan<StridedDim> dims)
    {
        if (dims.Length > Max) throw new ArgumentException($"{dims.Length} strided dimensions exceed a kernel's {Max}");
        Span<StridedDim> inner = stackalloc StridedDim[Max];
        inner.Fill(new StridedDim(1, 0, 0));
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            inner[i] = dims[dims.Length - 1 - i];
            count *= inner[i].Size;
        }
        if (count > int.MaxValue) throw new ArgumentException($"{count} strided indices exceed a kernel launch");
        return new StridedDims
        {
            Size0 = inner[0].Size, Size1 = inner[1].Size, Size2 = inner[2].Size, Size3 = inner[3].Size, Size4 = inner[4].Size, Size5 = inner[5].Size,
            A0 = inner[0].StrideA, A1 = inner[1].StrideA, A2 = inner[2].StrideA, A3 = inner[3].StrideA, A4 = inner[4].StrideA, A5 = inner[5].StrideA,
            B0 = inner[0].StrideB, B1 = inner[1].StrideB, B2 = inner[2].StrideB, B3 = inner[3].StrideB, B4 = inner[4].StrideB, B5 = inner[5].StrideB,
            Count = (int)count,
        };
    }

    /// <summary>
    /// The dimensions of <paramref name="shape"/> with the two tensors' strides, outermost first, with dimensions of size
    /// 1 dropped and neighbours merged where both tensors step through them as through one (stride of the outer = size ×
    /// stride of the inner, for each tensor). The walk visits the same elements in the same order.
    /// </summary>
    public static List<StridedDim> Coalesce(ReadOnlySpan<int> shape, ReadOnlySpan<int> stridesA, ReadOnlySpan<int> stridesB)
    {
        var dims = new List<StridedDim>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            var dim = new StridedDim(shape[d], stridesA[d], stridesB[d]);
            if (dims.Count > 0)
            {
                var outer = dims[^1];
                if (outer.StrideA == (long)dim.StrideA * dim.Size && outer.StrideB == (long)dim.StrideB * dim.Size && (long)outer.Size * dim.Size <= int.MaxValue)
                {
                    dims[^1] = new StridedDim(outer.Size * dim.Size, dim.StrideA, dim.StrideB);
                    continue;
                }
            }
            dims.Add(dim);
        }
        return dims;
    }

    /// <summary>
    /// Calls <paramref name="launch"/> once per index of the leading dimensions <paramref name="leading"/> (outermost
    /// first), in row-major order, with the two tensors' offsets of that index and its position in the walk.
    /// </summary>
    public static void ForEachLeading(IReadOnlyList<StridedDim> leading, Action<int, int, int[]> launch)
    {
        var coordinates = new int[leading.Count];
        while (true)
        {
            int a = 0, b = 0;
            for (int d = 0; d < leading.Count; d++)
            {
                a += coordinates[d] * leading[d].StrideA;
                b += coordinates[d] * leading[d].StrideB;
            }
            launch(a, b, coordinates);
            int k = leading.Count - 1;
            for (; k >= 0; k--)
            {
                if (++coordinates[k] < leading[k].Size) break;
                coordinates[k] = 0;
            }
            if (k < 0) return;
        }
    }
}
