using ILGPU;
using ILGPU.Runtime;
using NetBlocks.Kernels;

namespace NetBlocks.Cuda;

/// <summary>
/// Max, average and adaptive-average pooling over planes of (H, W) on the device, the semantics of the engine's
/// <c>Pooling</c>: max takes the first maximum row by row (NaN wins) and records its index h·W + w in the plane;
/// average divides by Kernel² (padding counted); adaptive bins are [⌊o·in/out⌋, ⌈(o+1)·in/out⌉). Forward kernels run a
/// thread per output; backward kernels a thread per input element, gathering the windows that cover it in output order,
/// so dx is written once, without atomics, and repeats bit for bit. Outputs are overwritten.
/// </summary>
public sealed class CudaPooling
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolShape> _maxForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, PoolShape> _maxBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, PoolShape> _avgForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, PoolShape> _avgBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int> _adaptiveForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int> _adaptiveBackward;

    internal CudaPooling(CudaContext context)
    {
        var accelerator = context.Accelerator;
        _maxForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolShape>(MaxForwardKernel);
        _maxBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, PoolShape>(MaxBackwardKernel);
        _avgForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolShape>(AvgForwardKernel);
        _avgBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolShape>(AvgBackwardKernel);
        _adaptiveForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(AdaptiveForwardKernel);
        _adaptiveBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(AdaptiveBackwardKernel);
    }

    /// <summary>y = max over each window; argmax = the index in its plane of the element taken.</summary>
    public void MaxForward(ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax, PoolGeometry g)
    {
        const string op = "cuda max_pool2d";
        long outputs = Check(op, g, x.Length, y.Length);
        if (argmax.Length < outputs) throw new ArgumentException($"{op}: argmax has {argmax.Length} elements, the geometry needs {outputs}");
        if (outputs > 0) _maxForward((int)outputs, x, y, argmax, new PoolShape(g));
    }

    /// <summary>dx[argmax] = Σ dy over the windows that took that element.</summary>
    public void MaxBackward(ArrayView<float> dy, ArrayView<int> argmax, ArrayView<float> dx, PoolGeometry g)
    {
        const string op = "cuda max_pool2d backward";
        long outputs = Check(op, g, dx.Length, dy.Length);
        if (argmax.Length < outputs) throw new ArgumentException($"{op}: argmax has {argmax.Length} elements, the geometry needs {outputs}");
        long inputs = (long)g.Planes * g.H * g.W;
        if (inputs > 0) _maxBackward((int)inputs, dy, argmax, dx, new PoolShape(g));
    }

    /// <summary>y = mean over each window (÷ Kernel², padding counted).</summary>
    public void AvgForward(ArrayView<float> x, ArrayView<float> y, PoolGeometry g)
    {
        long outputs = Check("cuda avg_pool2d", g, x.Length, y.Length);
        if (outputs > 0) _avgForward((int)outputs, x, y, new PoolShape(g));
    }

    /// <summary>dx = Σ dy / Kernel² over the windows covering each element.</summary>
    public void AvgBackward(ArrayView<float> dy, ArrayView<float> dx, PoolGeometry g)
    {
        Check("cuda avg_pool2d backward", g, dx.Length, dy.Length);
        long inputs = (long)g.Planes * g.H * g.W;
        if (inputs > 0) _avgBackward((int)inputs, dy, dx, new PoolShape(g));
    }

    /// <summary>y[p, oy, ox] = mean of x[p] over adaptive bin (oy, ox), summed in double.</summary>
    public void AdaptiveAvgForward(ArrayView<float> x, ArrayView<float> y, int planes, int h, int w, int oh, int ow)
    {
        long outputs = CheckAdaptive("cuda adaptive_avg_pool2d", x.Length, y.Length, planes, h, w, oh, ow);
        if (outputs > 0) _adaptiveForward((int)outputs, x, y, h, w, oh, ow);
    }

    /// <summary>dx = Σ dy / |bin| over the bins containing each element.</summary>
    public void AdaptiveAvgBackward(ArrayView<float> dy, ArrayView<float> dx, int planes, int h, int w, int oh, int ow)
    {
        CheckAdaptive("cuda adaptive_avg_pool2d backward", dx.Length, dy.Length, planes, h, w, oh, ow);
        long inputs = (long)planes * h * w;
        if (inputs > 0) _adaptiveBackward((int)inputs, dy, dx, h, w, oh, ow);
    }

    /// <summary>The geometry's own checks, then input and output views long enough; returns the output count.</summary>
    private static long Check(string op, PoolGeometry g, long inputLength, long outputLength)
    {
        g.Validate(op);
        long inputs = (long)g.Planes * g.H * g.W, outputs = (long)g.Planes * g.OH * g.OW;
        if (inputLength < inputs) throw new ArgumentException($"{op}: the input has {inputLength} elements, the geometry needs {inputs}");
        if (outputLength < outputs) throw new ArgumentException($"{op}: the output has {outputLength} elements, the geometry needs {outputs}");
        return outputs;
    }

    private static long CheckAdaptive(string op, long inputLength, long outputLength, int planes, int h, int w, int oh, int ow)
    {
        if (planes < 0 || h < 1 || w < 1 || oh < 1 || ow < 1)
            throw new ArgumentException($"{op}: invalid sizes (planes={planes}, {h}×{w} → {oh}×{ow})");
        long inputs = Sizes.Elements([planes, h, w], "input", op), outputs = Sizes.Elements([planes, oh, ow], "output", op);
        if (inputLength < inputs) throw new ArgumentException($"{op}: the input has {inputLength} elements, needs {inputs}");
        if (outputLength < outputs) throw new ArgumentException($"{op}: the output has {outputLength} elements, needs {outputs}");
        return outputs;
    }

    private static void MaxForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax, PoolShape s)
    {
        int outPlane = s.OH * s.OW;
        int plane = index / outPlane, position = index - plane * outPlane;
        int oy = position / s.OW, ox = position - oy * s.OW;
        long inBase = (long)plane * s.H * s.W;
        int y0 = s.WindowStart(oy), y1 = s.WindowEnd(oy, s.H);
        int x0 = s.WindowStart(ox), x1 = s.WindowEnd(ox, s.W);
        float best = float.NegativeInfinity;
        int at = y0 * s.W + x0;
        for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++)
        {
            float v = x[inBase + iy * s.W + ix];
            if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { best = v; at = iy * s.W + ix; }
        }
        y[index] = best;
        argmax[index] = at;
    }

    private static void MaxBackwardKernel(Index1D index, ArrayView<float> dy, ArrayView<int> argmax, ArrayView<float> dx, PoolShape s)
    {
        int inPlane = s.H * s.W;
        int plane = index / inPlane, position = index - plane * inPlane;
        int iy = position / s.W, ix = position - iy * s.W;
        long outBase = (long)plane * s.OH * s.OW;
        float sum = 0f;
        int oyEnd = s.EndWindow(iy, s.OH), oxEnd = s.EndWindow(ix, s.OW);
        for (int oy = s.FirstWindow(iy); oy < oyEnd; oy++)
        for (int ox = s.FirstWindow(ix); ox < oxEnd; ox++)
        {
            long o = outBase + oy * s.OW + ox;
            if (argmax[o] == position) sum += dy[o];
        }
        dx[index] = sum;
    }

    private static void AvgForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, PoolShape s)
    {
        int outPlane = s.OH * s.OW;
        int plane = index / outPlane, position = index - plane * outPlane;
        int oy = position / s.OW, ox = position - oy * s.OW;
        long inBase = (long)plane * s.H * s.W;
        int y0 = s.WindowStart(oy), y1 = s.WindowEnd(oy, s.H);
        int x0 = s.WindowStart(ox), x1 = s.WindowEnd(ox, s.W);
        float sum = 0f;
        for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) sum += x[inBase + iy * s.W + ix];
        y[index] = sum * (1f / (s.Kernel * s.Kernel));
    }

    private static void AvgBackwardKernel(Index1D index, ArrayView<float> dy, ArrayView<float> dx, PoolShape s)
    {
        int inPlane = s.H * s.W;
        int plane = index / inPlane, position = index - plane * inPlane;
        int iy = position / s.W, ix = position - iy * s.W;
        long outBase = (long)plane * s.OH * s.OW;
        float inv = 1f / (s.Kernel * s.Kernel), sum = 0f;
        int oyEnd = s.EndWindow(iy, s.OH), oxEnd = s.EndWindow(ix, s.OW);
        for (int oy = s.FirstWindow(iy); oy < oyEnd; oy++)
        for (int ox = s.FirstWindow(ix); ox < oxEnd; ox++) sum += dy[outBase + oy * s.OW + ox] * inv;
        dx[index] = sum;
    }

    private static int AdaptiveStart(int o, int inSize, int outSize) => (int)((long)o * inSize / outSize);
    private static int AdaptiveEnd(int o, int inSize, int outSize) => (int)(((long)(o + 1) * inSize + outSize - 1) / outSize);

    private static void AdaptiveForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, int h, int w, int oh, int ow)
    {
        int outPlane = oh * ow;
        int plane = index / outPlane, position = index - plane * outPlane;
        int oy = position / ow, ox = position - oy * ow;
        int y0 = AdaptiveStart(oy, h, oh), y1 = AdaptiveEnd(oy, h, oh), x0 = AdaptiveStart(ox, w, ow), x1 = AdaptiveEnd(ox, w, ow);
        long inBase = (long)plane * h * w;
        double sum = 0;
        for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) sum += x[inBase + iy * w + ix];
        y[index] = (float)(sum / ((y1 - y0) * (x1 - x0)));
    }

    private static void AdaptiveBackwardKernel(Index1D index, ArrayView<float> dy, ArrayView<float> dx, int h, int w, int oh, int ow)
    {
        int inPlane = h * w;
        int plane = index / inPlane, position = index - plane * inPlane;
        int iy = position / w, ix = position - iy * w;
        long outBase = (long)plane * oh * ow;
        float sum = 0f;
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = AdaptiveStart(oy, h, oh), y1 = AdaptiveEnd(oy, h, oh);
            if (iy < y0 || iy >= y1) continue;
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = AdaptiveStart(ox, w, ow), x1 = AdaptiveEnd(ox, w, ow);
                if (ix < x0 || ix >= x1) continue;
                sum += dy[outBase + oy * ow + ox] / ((y1 - y0) * (x1 - x0));
            }
        }
        dx[index] = sum;
    }
}
