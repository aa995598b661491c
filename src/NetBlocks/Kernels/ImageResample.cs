namespace NetBlocks.Kernels;

/// <summary>
/// An 8-bit image resize and its conversion to floats, as the parameters of one backend operation
/// (<see cref="Backends.IBackend.ResampleImages"/>, reached through <see cref="Functional.F.ResampleImages"/>): the
/// horizontal pass (<see cref="Columns"/>) rounds each sum to a byte, the vertical pass (<see cref="Rows"/>) does the same
/// on its output, and the resulting byte v becomes <c>Table[v]</c> (a 256-entry lookup: v/255, or (v/255 − mean)/std).
/// With Pillow's taps (<see cref="Pillow"/>) this is torchvision's <c>Resize</c> on a PIL 'L' image followed by
/// <c>ToTensor</c> (and <c>Normalize</c>), bit for bit. All integer until the lookup, so every backend computes the same
/// floats. Made once per (input size, output size, table) on the host; immutable and thread-safe.
/// </summary>
public sealed class ImageResample
{
    private readonly float[] _table;

    public ImageResample(ResampleAxis rows, ResampleAxis columns, ReadOnlySpan<float> table)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(columns);
        if (table.Length != 256) throw new ArgumentException($"the pixel table needs 256 entries (one per byte value), got {table.Length}", nameof(table));
        (Rows, Columns, _table) = (rows, columns, table.ToArray());
    }

    /// <summary>Pillow's bilinear resize from <paramref name="inHeight"/>×<paramref name="inWidth"/> to <paramref name="outHeight"/>×<paramref name="outWidth"/>.</summary>
    public static ImageResample Pillow(int inHeight, int inWidth, int outHeight, int outWidth, ReadOnlySpan<float> table)
    {
        if (inHeight <= 0 || inWidth <= 0 || outHeight <= 0 || outWidth <= 0)
            throw new ArgumentException($"cannot resize {inHeight}×{inWidth} to {outHeight}×{outWidth}: sizes must be positive");
        return new ImageResample(ResampleAxis.PillowBilinear(inHeight, outHeight), ResampleAxis.PillowBilinear(inWidth, outWidth), table);
    }

    /// <summary>The vertical pass (input height → output height).</summary>
    public ResampleAxis Rows { get; }

    /// <summary>The horizontal pass (input width → output width).</summary>
    public ResampleAxis Columns { get; }

    public int InHeight => Rows.InSize;
    public int InWidth => Columns.InSize;
    public int OutHeight => Rows.OutSize;
    public int OutWidth => Columns.OutSize;

    /// <summary>The byte → float lookup applied last (256 values).</summary>
    public ReadOnlySpan<float> Table => _table;

    /// <summary>
    /// The scalar twin: resizes one image <paramref name="source"/> (InHeight × InWidth byte values held as ints) into
    /// <paramref name="destination"/> (OutHeight × OutWidth floats). <paramref name="rows"/> holds the horizontal pass
    /// (InHeight × OutWidth). A value outside [0, 255] is refused (the passes assume bytes).
    /// </summary>
    public void Apply(ReadOnlySpan<int> source, Span<float> destination, Span<int> rows)
    {
        if (source.Length != InHeight * InWidth) throw new ArgumentException($"source has {source.Length} pixels, expected {InHeight}×{InWidth}");
        if (destination.Length != OutHeight * OutWidth) throw new ArgumentException($"destination has {destination.Length} pixels, expected {OutHeight}×{OutWidth}");
        if (rows.Length < InHeight * OutWidth) throw new ArgumentException($"scratch needs {InHeight * OutWidth} values, got {rows.Length}");
        const int Half = 1 << (ResampleAxis.PrecisionBits - 1);
        for (int i = 0; i < source.Length; i++)
            if ((uint)source[i] > 255) throw new ArgumentException($"pixel {i} is {source[i]}: an 8-bit image holds values 0 to 255");
        int inW = InWidth, outW = OutWidth, xTaps = Columns.Taps, yTaps = Rows.Taps;
        var xStart = Columns.Start; var xk = Columns.Coefficients;
        for (int y = 0; y < InHeight; y++)
            for (int xx = 0; xx < outW; xx++)
            {
                int acc = Half, s = y * inW + xStart[xx];
                for (int i = 0; i < xTaps; i++) acc += source[s + i] * xk[xx * xTaps + i];
                rows[y * outW + xx] = ResampleAxis.Clip8(acc);
            }
        var yStart = Rows.Start; var yk = Rows.Coefficients;
        for (int yy = 0; yy < OutHeight; yy++)
            for (int x = 0; x < outW; x++)
            {
                int acc = Half;
                for (int i = 0; i < yTaps; i++) acc += rows[(yStart[yy] + i) * outW + x] * yk[yy * yTaps + i];
                destination[yy * outW + x] = _table[ResampleAxis.Clip8(acc)];
            }
    }
}
