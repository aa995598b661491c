namespace NetBlocks.Kernels;

/// <summary>
/// The CPU kernels' ready form of one convolution's weights, made once and read by every forward that passes it
/// (an inference plan's convolutions): the direct kernel's packed layout ([group][chunk][ci][kh][kw][block],
/// <see cref="DirectConvolution.PackForward"/>), Winograd's transformed V ([16][OC][C],
/// <see cref="Winograd.TransformForward"/>) and the 1×1 kernel's ([group][block of 8 outputs][c][8],
/// <see cref="PointwiseConvolution.PackForward"/>), each only where a forward runs that kernel. Without it each forward re-lays
/// the weights out into a thread scratch (a read, a write and a read of the weights where one read is the floor).
/// <para>
/// <see cref="Prepare"/> makes the form the kernel chosen at the given layer shape needs (<see cref="Convolution.ForwardKernelFor"/>,
/// the one place that chooses); a forward at another input shape whose choice differs makes the other form once, on its
/// first use, from the weights it is given (im2col + GEMM needs none). All forms depend on the weight values only, not
/// on the input's size. The weights must not change after the first form is made: they are a copy, and nothing here
/// sees an in-place edit of the source (<c>InferencePlan</c> checks that its weight tensors are still the ones it prepared).
/// </para>
/// <para>
/// A device backend's convolution reads the weights as they are: its <c>PrepareConv2d</c> returns null, and this type is
/// the CPU's only.
/// </para>
/// </summary>
public sealed unsafe class PackedWeights
{
    private readonly int _oc, _cinPerGroup, _kh, _kw, _groups;
    private float[]? _direct, _winograd, _pointwise;

    private PackedWeights(ConvGeometry g)
    {
        _oc = g.OC; _cinPerGroup = g.CinPerGroup; _kh = g.KH; _kw = g.KW; _groups = g.Groups;
    }

    /// <summary>
    /// The ready form of w (the weights of layer g, from <paramref name="wOff"/>) for the kernel a forward of g on
    /// <paramref name="threads"/> threads runs under the current policy; nothing for im2col + GEMM.
    /// </summary>
    internal static PackedWeights Prepare(float[] w, int wOff, ConvGeometry g, int threads)
    {
        g.Validate("conv2d (prepare weights)");
        Sizes.Region("conv2d (prepare weights)", "w", w.Length, wOff, g.WeightElements);
        var p = new PackedWeights(g);
        p.For(Convolution.ForwardKernelFor(g, threads), w, wOff, g, threads);
        return p;
    }

    /// <summary>Whether the direct kernel's packed weights are made (tests, and the plan's description).</summary>
    internal bool HasDirect => Volatile.Read(ref _direct) is not null;

    /// <summary>Whether Winograd's transformed weights are made.</summary>
    internal bool HasWinograd => Volatile.Read(ref _winograd) is not null;

    /// <summary>Whether the 1×1 kernel's packed weights are made.</summary>
    internal bool HasPointwise => Volatile.Read(ref _pointwise) is not null;

    /// <summary>Whether any kernel's form is made.</summary>
    internal bool HasAny => HasDirect || HasWinograd || HasPointwise;

    /// <summary>Refuses a layer whose weights have another shape than the ones these were made from.</summary>
    internal void CheckFits(ConvGeometry g)
    {
        if (g.OC != _oc || g.CinPerGroup != _cinPerGroup || g.KH != _kh || g.KW != _kw || g.Groups != _groups)
            throw new ArgumentException(
                $"conv2d: the prepared weights are ({_oc}, {_cinPerGroup}, {_kh}, {_kw}) with groups={_groups}, " +
                $"the convolution's are ({g.OC}, {g.CinPerGroup}, {g.KH}, {g.KW}) with groups={g.Groups}");
    }

    /// <summary>
    /// The form <paramref name="kernel"/> reads (null for im2col), made from w now if this is its first use. Two threads
    /// making it at once make the same values; one of them is kept.
    /// </summary>
    internal float[]? For(Convolution.ForwardKernel kernel, float[] w, int wOff, ConvGeometry g, int threads)
    {
        switch (kernel)
        {
            case Convolution.ForwardKernel.Direct:
                if (Volatile.Read(ref _direct) is { } direct) return direct;
                var packed = new float[DirectConvolution.PackedLength(g)];
                fixed (float* pw = w, pp = packed) DirectConvolution.PackForward(pw + wOff, pp, g, threads);
                return Interlocked.CompareExchange(ref _direct, packed, null) ?? packed;
            case Convolution.ForwardKernel.Winograd:
                if (Volatile.Read(ref _winograd) is { } winograd) return winograd;
                var v = new float[Winograd.TransformedLength(g)];
                fixed (float* pw = w, pv = v) Winograd.TransformForward(pw + wOff, pv, g, threads);
                return Interlocked.CompareExchange(ref _winograd, v, null) ?? v;
            case Convolution.ForwardKernel.Pointwise:
                if (Volatile.Read(ref _pointwise) is { } pointwise) return pointwise;
                var p = new float[PointwiseConvolution.PackedLength(g)];
                fixed (float* pw = w, pp = p) PointwiseConvolution.PackForward(pw + wOff, pp, g);
                return Interlocked.CompareExchange(ref _pointwise, p, null) ?? p;
            default:
                return null;
        }
    }
}
