namespace NetBlocks.Kernels;

/// <summary>
/// One axis of a separable 8-bit image resize in fixed point, as Pillow computes it: output i reads the
/// <see cref="Taps"/> inputs from <c>Start[i]</c> and weighs them with the integers <c>Coefficients[i·Taps ..]</c>, which
/// are the filter's weights scaled by 2^<see cref="PrecisionBits"/>; a pass sums <c>2^(PrecisionBits−1) + Σ p·k</c> and
/// rounds back to 8 bits (<see cref="Clip8"/>). Every output has the same number of taps (zero-weighted where the
/// filter's window is shorter, shifted left at the far edge so no read runs past the row): adding zero terms changes no
/// integer sum, and an integer sum is the same in any order, so any backend that applies these taps computes the same
/// bytes. Computed once per (input size, output size) on the host; immutable and thread-safe.
/// </summary>
public sealed class ResampleAxis
{
    /// <summary>Fractional bits of the coefficients: Pillow's <c>PRECISION_BITS</c> = 32 − 8 − 2.</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    private readonly int[] _start, _coefficients;

    private ResampleAxis(int inSize, int outSize, bool identity, int taps, int[] start, int[] coefficients)
    {
        (InSize, OutSize, IsIdentity, Taps) = (inSize, outSize, identity, taps);
        (_start, _coefficients) = (start, coefficients);
    }

    public int InSize { get; }
    public int OutSize { get; }

    /// <summary>In and out sizes are equal: one tap of weight 1 per output, (v·2²² + 2²¹) ≫ 22 = v.</summary>
    public bool IsIdentity { get; }

    /// <summary>Inputs each output reads.</summary>
    public int Taps { get; }

    /// <summary>The first input of each output (<see cref="OutSize"/> values).</summary>
    public ReadOnlySpan<int> Start => _start;

    /// <summary>The weights, <see cref="Taps"/> per output, in fixed point (<see cref="OutSize"/> · <see cref="Taps"/> values).</summary>
    public ReadOnlySpan<int> Coefficients => _coefficients;

    /// <summary>A pass's sum rounded back to a byte: (acc ≫ <see cref="PrecisionBits"/>) clamped to [0, 255].</summary>
    public static byte Clip8(int acc)
    {
        int v = acc >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /// <summary>
    /// Pillow's bilinear filter for <paramref name="inSize"/> → <paramref name="outSize"/> (<c>precompute_coeffs</c> with
    /// support 1, then <c>normalize_coeffs_8bpc</c>): scale = in/out, fs = max(scale, 1), support = fs; output i takes
    /// inputs [round(c − support), round(c + support)) around c = (i + ½)·scale with weights tri((j − c + ½)/fs),
    /// normalised to sum 1 and rounded to 22-bit integers. Antialiased when shrinking.
    /// </summary>
    public static ResampleAxis PillowBilinear(int inSize, int outSize)
    {
        if (inSize <= 0 || outSize <= 0)
            throw new ArgumentException($"cannot resample an axis of {inSize} to {outSize}: sizes must be positive");
        if (inSize == outSize)
        {
            var identity = new int[outSize];
            for (int i = 0; i < outSize; i++) identity[i] = i;
            return new ResampleAxis(inSize, outSize, true, 1, identity, Enumerable.Repeat(1 << PrecisionBits, outSize).ToArray());
        }
        double scale = (double)(float)inSize / outSize;
        double filterscale = scale < 1.0 ? 1.0 : scale;
        double support = 1.0 * filterscale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        int taps = Math.Min(ksize, inSize);
        var start = new int[outSize];
        var coeffs = new int[outSize * taps];
        var w = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = 0.0 + (xx + 0.5) * scale;
            double ss = 1.0 / filterscale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                w[x] = Bilinear((x + xmin - center + 0.5) * ss);
                ww += w[x];
            }
            int first = Math.Min(xmin, inSize - taps);
            start[xx] = first;
            for (int x = 0; x < xmax; x++)
            {
                double k = ww != 0.0 ? w[x] / ww : w[x];
                coeffs[xx * taps + (xmin - first) + x] =
                    k < 0 ? (int)(-0.5 + k * (1 << PrecisionBits)) : (int)(0.5 + k * (1 << PrecisionBits));
            }
        }
        return new ResampleAxis(inSize, outSize, false, taps, start, coeffs);
    }

    private static double Bilinear(double x)
    {
        if (x < 0.0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }
}
