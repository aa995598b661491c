using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

/// <summary>Window geometry of a 2-D pooling over (planes, H, W) with a square kernel (floor mode, no dilation).</summary>
public readonly record struct PoolGeometry(int Planes, int H, int W, int Kernel, int Stride, int Padding)
{
    public int OH => (int)(((long)H + 2L * Padding - Kernel) / Stride + 1);
    public int OW => (int)(((long)W + 2L * Padding - Kernel) / Stride + 1);

    /// <summary>
    /// Checks the geometry before a kernel runs on it: positive sizes (no planes is allowed), padding at most half the
    /// window (so that every window reads the input), an output plane of at least 1×1, and input and output element
    /// counts a tensor can hold, in checked 64-bit arithmetic. Once per call.
    /// </summary>
    internal void Validate(string op)
    {
        if (Planes < 0 || H < 1 || W < 1 || Kernel < 1 || Stride < 1 || Padding < 0 || Padding > Kernel / 2)
            throw new ArgumentException($"{op}: invalid geometry (planes={Planes}, H={H}, W={W}, kernel={Kernel}, stride={Stride}, padding={Padding}; padding at most half the kernel)");
        if ((long)H + 2L * Padding < Kernel || (long)W + 2L * Padding < Kernel)
            throw new ArgumentException($"{op}: input {H}×{W} padded by {Padding} is smaller than the {Kernel}×{Kernel} window");
        Sizes.Elements([Planes, H, W], "input", op);
        Sizes.Elements([Planes, OH, OW], "output", op);
    }
}

/// <summary>Max, average and adaptive-average pooling over planes of (H, W), with their backward passes, as PyTorch computes them.</summary>
public static class Pooling
{
    /// <summary>Below this many input elements a pooling call stays on the calling thread.</summary>
    private const int ParallelThreshold = 1 << 15;

    /// <summary>Planes per parallel work item: about 64 K input elements.</summary>
    private static int PlanesPerItem(PoolGeometry g) => Math.Max(1, (1 << 16) / Math.Max(1, g.H * g.W));

    private static void ForPlanes<TBody>(ref TBody body, PoolGeometry g, int threads) where TBody : struct, IParallelBody
    {
        int per = PlanesPerItem(g), items = (g.Planes + per - 1) / per;
        if (threads == 1 || (long)g.Planes * g.H * g.W < ParallelThreshold || items < 2)
        {
            for (int i = 0; i < items; i++) body.Invoke(i);
            return;
        }
        Threading.For(items, ref body, threads);
    }

    /// <summary>y = max over each window (padding counts as −∞); argmax[i] = index h·W + w of the first maximum, row by row.</summary>
    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, PoolGeometry g)
        => MaxForward(x, y, argmax, g, ExecutionContext.Current.Threads);

    internal static unsafe void MaxForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, PoolGeometry g, int threads)
    {
        g.Validate("max_pool2d");
        long outCount = (long)g.Planes * g.OH * g.OW;
        if (x.Length < (long)g.Planes * g.H * g.W || y.Length < outCount || argmax.Length < outCount)
            throw new ArgumentException($"max_pool2d: buffers too short for {g}");
        fixed (float* px = x, py = y)
        fixed (int* pa = argmax)
        {
            var body = new MaxForwardBody { X = px, Y = py, Argmax = pa, G = g, PlanesPerItem = PlanesPerItem(g) };
            ForPlanes(ref body, g, threads);
        }
    }

    /// <summary>y = max over each window, without keeping the indices (the backward recomputes them from x).</summary>
    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, PoolGeometry g)
        => MaxForward(x, y, g, ExecutionContext.Current.Threads);

    internal static unsafe void MaxForward(ReadOnlySpan<float> x, Span<float> y, PoolGeometry g, int threads)
    {
        g.Validate("max_pool2d");
        long outCount = (long)g.Planes * g.OH * g.OW;
        if (x.Length < (long)g.Planes * g.H * g.W || y.Length < outCount)
            throw new ArgumentException($"max_pool2d: buffers too short for {g}");
        fixed (float* px = x, py = y)
        {
            var body = new MaxForwardBody { X = px, Y = py, Argmax = null, G = g, PlanesPerItem = PlanesPerItem(g) };
            ForPlanes(ref body, g, threads);
        }
    }

    /// <summary>
    /// dx = the gradient of max pooling from its input: each window's first maximum (as <see cref="MaxForward(ReadOnlySpan{float}, Span{float}, Span{int}, PoolGeometry)"/>
    /// picks it) is found again in x and receives dy. Recomputing costs one more pass over x but stores no indices
    /// between forward and backward. dx is overwritten.
    /// </summary>
    public static void MaxBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, PoolGeometry g)
        => MaxBackward(x, dy, dx, g, ExecutionContext.Current.Threads);

    internal static unsafe void MaxBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, PoolGeometry g, int threads)
    {
        g.Validate("max_pool2d backward");
        long outCount = (long)g.Planes * g.OH * g.OW, inCount = (long)g.Planes * g.H * g.W;
        if (x.Length < inCount || dx.Length < inCount || dy.Length < outCount)
            throw new ArgumentException($"max_pool2d backward: buffers too short for {g}");
        fixed (float* px = x, pdy = dy, pdx = dx)
        {
            var body = new MaxRecomputeBackwardBody { X = px, Dy = pdy, Dx = pdx, G = g, PlanesPerItem = PlanesPerItem(g) };
            ForPlanes(ref body, g, threads);
        }
    }

    [ThreadStatic] private static int[]? t_argmax;
    [ThreadStatic] private static float[]? t_values;

    /// <summary>This thread's value buffer for one plane of outputs (every element is written before it is read).</summary>
    private static float[] PlaneValues(int length) => ThreadScratch.Get(ref t_values, length);

    /// <summary>This thread's index buffer for one plane of outputs (every element is written before it is read).</summary>
    private static int[] PlaneIndices(int length) => ThreadScratch.Get(ref t_argmax, length);

    private unsafe struct MaxRecomputeBackwardBody : IParallelBody
    {
        public float* X, Dy, Dx;
        public PoolGeometry G;
        public int PlanesPerItem;

        public readonly void Invoke(int item)
        {
            var g = G;
            int plane = g.OH * g.OW, inPlane = g.H * g.W;
            int p0 = item * PlanesPerItem, p1 = Math.Min(g.Planes, p0 + PlanesPerItem);
            var indices = PlaneIndices(plane);
            fixed (int* pa = indices)
            {
                for (int p = p0; p < p1; p++)
                {
                    // the forward body on this one plane, keeping the values in a dummy and the indices in pa
                    var fwd = new MaxForwardBody { X = X + (long)p * inPlane, Y = null, Argmax = pa, G = g with { Planes = 1 }, PlanesPerItem = 1 };
                    fwd.Invoke(0);
                    float* dxp = Dx + (long)p * inPlane, dyp = Dy + (long)p * plane;
                    new Span<float>(dxp, inPlane).Clear();
                    for (int i = 0; i < plane; i++) dxp[pa[i]] += dyp[i];
                }
            }
        }
    }

    private unsafe struct MaxForwardBody : IParallelBody
    {
        /// <summary>Null Y: indices only; null Argmax: values only.</summary>
        public float* X, Y;
        public int* Argmax;
        public PoolGeometry G;
        public int PlanesPerItem;

        public readonly void Invoke(int item)
        {
            var g = G;
            int oh = g.OH, ow = g.OW, k = g.Kernel, w = g.W;
            int p0 = item * PlanesPerItem, p1 = Math.Min(g.Planes, p0 + PlanesPerItem);
            bool fastStride2 = (k == 2 || k == 3) && g.Stride == 2 && g.Padding == 0 && Avx2.IsSupported;
            // what the caller does not want goes to this thread's scratch plane, overwritten plane after plane
            var values = Y == null ? PlaneValues(oh * ow) : null;
            var indices = Argmax == null ? PlaneIndices(oh * ow) : null;
            fixed (float* vs = values)
            fixed (int* ids = indices)
            for (int p = p0; p < p1; p++)
            {
                float* xp = X + (long)p * g.H * w;
                float* yp = Y == null ? vs : Y + (long)p * oh * ow;
                int* ap = Argmax == null ? ids : Argmax + (long)p * oh * ow;
                for (int oy = 0; oy < oh; oy++)
                {
                    if (fastStride2)
                    {
                        int done8 = MaxStride2Row(xp + 2 * oy * w, w, k, yp + oy * ow, ap + oy * ow, ow, 2 * oy * w);
                        for (int ox = done8; ox < ow; ox++) MaxWindow(xp, w, 2 * oy, 2 * oy + k, 2 * ox, 2 * ox + k, yp + oy * ow + ox, ap + oy * ow + ox);
                        continue;
                    }
                    int y0 = oy * g.Stride - g.Padding;
                    int y1 = Math.Min(y0 + k, g.H);
                    y0 = Math.Max(y0, 0);
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int x0 = ox * g.Stride - g.Padding;
                        int x1 = Math.Min(x0 + k, w);
                        x0 = Math.Max(x0, 0);
                        float best = float.NegativeInfinity;
                        int bestIdx = y0 * w + x0;
                        for (int iy = y0; iy < y1; iy++)
                        {
                            float* row = xp + iy * w;
                            for (int ix = x0; ix < x1; ix++)
                            {
                                float v = row[ix];
                                if (v > best || float.IsNaN(v))
                                {
                                    best = v; bestIdx = iy * w + ix;
                                    if (float.IsNaN(v)) goto done;
                                }
                            }
                        }
                        done:
                        yp[oy * ow + ox] = best;
                        ap[oy * ow + ox] = bestIdx;
                    }
                }
            }
        }
    }

    /// <summary>The first maximum of x rows [y0, y1) × columns [x0, x1) (the first NaN wins), and its index.</summary>
    private static unsafe void MaxWindow(float* xp, int w, int y0, int y1, int x0, int x1, float* y, int* arg)
    {
        float best = float.NegativeInfinity;
        int bestIdx = y0 * w + x0;
        for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++)
        {
            float v = xp[iy * w + ix];
            if (v > best || float.IsNaN(v))
            {
                best = v; bestIdx = iy * w + ix;
                if (float.IsNaN(v)) goto done;
            }
        }
        done:
        *y = best;
        *arg = bestIdx;
    }

    /// <summary>
    /// 2×2 or 3×3 windows with stride 2 (no padding) whose top row starts at <paramref name="row"/>, eight outputs at a
    /// time with AVX2: the even and odd columns of each window row are separated by a shuffle (and, for 3×3, the even
    /// columns once more from two columns on), then the candidates are taken in window order (row by row, left to
    /// right), each replacing the running maximum when greater, or NaN while the maximum is not yet NaN, which is exactly
    /// the scalar loop's first-maximum / first-NaN rule. Returns the outputs done (a multiple of 8).
    /// </summary>
    private static unsafe int MaxStride2Row(float* row, int w, int k, float* y, int* arg, int ow, int rowIndex)
    {
        int ox = 0;
        var step = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        for (; ox + 8 <= ow && 2 * ox + (k == 3 ? 18 : 16) <= w; ox += 8)
        {
            var best = Vector256<float>.Zero;
            var off = Vector256<int>.Zero;
            for (int dy = 0; dy < k; dy++)
            {
                float* r = row + dy * w + 2 * ox;
                var a0 = Avx.LoadVector256(r); var a1 = Avx.LoadVector256(r + 8);
                var even = Even(a0, a1);
                var odd = Avx2.Permute4x64(Avx.Shuffle(a0, a1, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
                if (dy == 0) best = even;
                else Take(ref best, ref off, even, Vector256.Create(dy * w));
                Take(ref best, ref off, odd, Vector256.Create(dy * w + 1));
                if (k == 3) Take(ref best, ref off, Even(Avx.LoadVector256(r + 2), Avx.LoadVector256(r + 10)), Vector256.Create(dy * w + 2));
            }
            Avx.Store(y + ox, best);
            Avx.Store(arg + ox, Avx2.Add(Avx2.Add(off, step), Vector256.Create(rowIndex + 2 * ox)));
        }
        return ox;

        // shuffle picks (0, 2 | 0, 2) per 128-bit lane, the 64-bit permute restores column order
        static Vector256<float> Even(Vector256<float> a0, Vector256<float> a1) =>
            Avx2.Permute4x64(Avx.Shuffle(a0, a1, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();

        static void Take(ref Vector256<float> best, ref Vector256<int> off, Vector256<float> v, Vector256<int> vOff)
        {
            var greater = Avx.Compare(v, best, FloatComparisonMode.OrderedGreaterThanNonSignaling);
            var nanFirst = Avx.And(Avx.Compare(v, v, FloatComparisonMode.UnorderedNonSignaling),
                                   Avx.Compare(best, best, FloatComparisonMode.OrderedNonSignaling));
            var take = Avx.Or(greater, nanFirst);
            best = Avx.BlendVariable(best, v, take);
            off = Avx.BlendVariable(off.AsSingle(), vOff.AsSingle(), take).AsInt32();
        }
    }

    /// <summary>dx[argmax] += dy; dx is overwritten.</summary>
    public static void MaxBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, PoolGeometry g)
        => MaxBackward(dy, argmax, dx, g, ExecutionContext.Current.Threads);

    internal static unsafe void MaxBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, PoolGeometry g, int threads)
    {
        g.Validate("max_pool2d backward");
        long outCount = (long)g.Planes * g.OH * g.OW;
        if (dx.Length < (long)g.Planes * g.H * g.W || dy.Length < outCount || argmax.Length < outCount)
            throw new ArgumentException($"max_pool2d backward: buffers too short for {g}");
        int bad = argmax[..(int)outCount].IndexOfAnyExceptInRange(0, g.H * g.W - 1);
        if (bad >= 0)
            throw new ArgumentException($"max_pool2d backward: argmax[{bad}] = {argmax[bad]} is outside its {g.H}×{g.W} plane");
        fixed (float* pdy = dy, pdx = dx)
        fixed (int* pa = argmax)
        {
            var body = new MaxBackwardBody { Dy = pdy, Dx = pdx, Argmax = pa, G = g, PlanesPerItem = PlanesPerItem(g) };
            ForPlanes(ref body, g, threads);
        }
    }

    private unsafe struct MaxBackwardBody : IParallelBody
    {
        public float* Dy, Dx;
        public int* Argmax;
        public PoolGeometry G;
        public int PlanesPerItem;

        public readonly void Invoke(int item)
        {
            var g = G;
            int plane = g.OH * g.OW, inPlane = g.H * g.W;
            int p0 = item * PlanesPerItem, p1 = Math.Min(g.Planes, p0 + PlanesPerItem);
            new Span<float>(Dx + (long)p0 * inPlane, (p1 - p0) * inPlane).Clear();
            for (int p = p0; p < p1; p++)
            {
                float* dxp = Dx + (long)p * inPlane, dyp = Dy + (long)p * plane;
                int* ap = Argmax + (long)p * plane;
                for (int i = 0; i < plane; i++) dxp[ap[i]] += dyp[i];
            }
        }
    }

    /// <summary>y = mean over each window, dividing by Kernel² (padding counted, PyTorch's count_include_pad=True).</summary>
    public static void AvgForward(ReadOnlySpan<float> x, Span<float> y, PoolGeometry g)
    {
        int oh = g.OH, ow = g.OW;
        float inv = 1f / (g.Kernel * g.Kernel);
        for (int p = 0; p < g.Planes; p++)
        {
            var xp = x.Slice(p * g.H * g.W, g.H * g.W);
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int y0 = Math.Max(oy * g.Stride - g.Padding, 0), x0 = Math.Max(ox * g.Stride - g.Padding, 0);
                int y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, g.H), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, g.W);
                float s = 0;
                for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) s += xp[iy * g.W + ix];
                y[(p * oh + oy) * ow + ox] = s * inv;
            }
        }
    }

    /// <summary>dx[window] += dy / Kernel²; dx is overwritten.</summary>
    public static void AvgBackward(ReadOnlySpan<float> dy, Span<float> dx, PoolGeometry g)
    {
        dx.Clear();
        int oh = g.OH, ow = g.OW;
        float inv = 1f / (g.Kernel * g.Kernel);
        for (int p = 0; p < g.Planes; p++)
        {
            var dxp = dx.Slice(p * g.H * g.W, g.H * g.W);
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int y0 = Math.Max(oy * g.Stride - g.Padding, 0), x0 = Math.Max(ox * g.Stride - g.Padding, 0);
                int y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, g.H), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, g.W);
                float v = dy[(p * oh + oy) * ow + ox] * inv;
                for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) dxp[iy * g.W + ix] += v;
            }
        }
    }

    /// <summary>Start (inclusive) of adaptive bin <paramref name="o"/>: ⌊o·in/out⌋, as PyTorch.</summary>
    public static int AdaptiveStart(int o, int inSize, int outSize) => (int)((long)o * inSize / outSize);

    /// <summary>End (exclusive) of adaptive bin <paramref name="o"/>: ⌈(o+1)·in/out⌉.</summary>
    public static int AdaptiveEnd(int o, int inSize, int outSize) => (int)(((long)(o + 1) * inSize + outSize - 1) / outSize);

    /// <summary>y[p, oy, ox] = mean of x[p] over the adaptive bin (oy, ox).</summary>
    public static void AdaptiveAvgForward(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w, int oh, int ow)
    {
        for (int p = 0; p < planes; p++)
        {
            var xp = x.Slice(p * h * w, h * w);
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = AdaptiveStart(oy, h, oh), y1 = AdaptiveEnd(oy, h, oh);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = AdaptiveStart(ox, w, ow), x1 = AdaptiveEnd(ox, w, ow);
                    double s = 0;
                    for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) s += xp[iy * w + ix];
                    y[(p * oh + oy) * ow + ox] = (float)(s / ((y1 - y0) * (x1 - x0)));
                }
            }
        }
    }

    /// <summary>dx[bin] += dy / |bin|; dx is overwritten.</summary>
    public static void AdaptiveAvgBackward(ReadOnlySpan<float> dy, Span<float> dx, int planes, int h, int w, int oh, int ow)
    {
        dx.Clear();
        for (int p = 0; p < planes; p++)
        {
            var dxp = dx.Slice(p * h * w, h * w);
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = AdaptiveStart(oy, h, oh), y1 = AdaptiveEnd(oy, h, oh);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = AdaptiveStart(ox, w, ow), x1 = AdaptiveEnd(ox, w, ow);
                    float v = dy[(p * oh + oy) * ow + ox] / ((y1 - y0) * (x1 - x0));
                    for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) dxp[iy * w + ix] += v;
                }
            }
        }
    }
}
