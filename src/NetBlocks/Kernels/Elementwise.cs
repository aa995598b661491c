using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;

namespace NetBlocks.Kernels;

/// <summary>
/// Elementwise kernels on equal-length spans, vectorised with <see cref="Vector{T}"/> (8 lanes on AVX2) and a scalar tail.
/// Long spans (at least <see cref="ParallelThreshold"/> elements) of the hot kernels are cut in fixed chunks that run on
/// the <see cref="Threading"/> pool; every element is computed the same way whichever thread runs it.
/// </summary>
public static unsafe class Elementwise
{
    /// <summary>Spans at least this long are split over the threads.</summary>
    public const int ParallelThreshold = 1 << 16;

    /// <summary>Elements per parallel chunk (64 KiB of floats: a chunk of each operand fits in L2).</summary>
    private const int Chunk = 1 << 14;

    /// <summary>One elementwise kernel over [start, start + length) of pinned operands.</summary>
    private interface IChunkOp
    {
        void Run(int start, int length);
    }

    private struct ChunkBody<TOp> : IParallelBody where TOp : struct, IChunkOp
    {
        public TOp Op;
        public int Length;

        public readonly void Invoke(int i)
        {
            int start = i * Chunk;
            Op.Run(start, Math.Min(Chunk, Length - start));
        }
    }

    private static void RunChunked<TOp>(TOp op, int length) where TOp : struct, IChunkOp
    {
        if (length < ParallelThreshold || ExecutionContext.Current.Threads == 1)
        {
            op.Run(0, length);
            return;
        }
        var body = new ChunkBody<TOp> { Op = op, Length = length };
        Threading.For((length + Chunk - 1) / Chunk, ref body);
    }

    private readonly struct AddInPlaceOp(float* y, float* x) : IChunkOp
    {
        public void Run(int start, int length) => AddInPlaceSerial(new Span<float>(y + start, length), new ReadOnlySpan<float>(x + start, length));
    }

    private readonly struct ReluOp(float* x, float* y) : IChunkOp
    {
        public void Run(int start, int length) => ReluSerial(new ReadOnlySpan<float>(x + start, length), new Span<float>(y + start, length));
    }

    private readonly struct AddReluOp(float* a, float* b, float* y) : IChunkOp
    {
        public void Run(int start, int length) =>
            AddReluSerial(new ReadOnlySpan<float>(a + start, length), new ReadOnlySpan<float>(b + start, length), new Span<float>(y + start, length));
    }

    private readonly struct ReluBackwardOp(float* y, float* dy, float* dx) : IChunkOp
    {
        public void Run(int start, int length) =>
            ReluBackwardSerial(new ReadOnlySpan<float>(y + start, length), new ReadOnlySpan<float>(dy + start, length), new Span<float>(dx + start, length));
    }

    private readonly struct AffineOp(float* x, float a, float b, float* y) : IChunkOp
    {
        public void Run(int start, int length) => AffineSerial(new ReadOnlySpan<float>(x + start, length), a, b, new Span<float>(y + start, length));
    }

    /// <summary>y[i] += x[i]</summary>
    public static void AddInPlace(Span<float> y, ReadOnlySpan<float> x)
    {
        Check(y.Length, x.Length);
        if (y.Length < ParallelThreshold) { AddInPlaceSerial(y, x); return; }
        fixed (float* py = y, px = x) RunChunked(new AddInPlaceOp(py, px), y.Length);
    }

    /// <summary>y[i] = max(x[i], 0)</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        Check(x.Length, y.Length);
        if (y.Length < ParallelThreshold) { ReluSerial(x, y); return; }
        fixed (float* px = x, py = y) RunChunked(new ReluOp(px, py), y.Length);
    }

    /// <summary>
    /// y[i] = max(a[i] + b[i], 0) in one pass: a residual sum and its ReLU. y may be a or b (in place). The same bits as
    /// <see cref="Add"/> then <see cref="Relu"/>: the sum rounds once, and the ReLU is relu's (vector max, scalar tail
    /// at the same indices, since the chunks are the same).
    /// </summary>
    public static void AddRelu(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        Check(a.Length, b.Length); Check(a.Length, y.Length);
        if (y.Length < ParallelThreshold) { AddReluSerial(a, b, y); return; }
        fixed (float* pa = a, pb = b, py = y) RunChunked(new AddReluOp(pa, pb, py), y.Length);
    }

    /// <summary>dx[i] = y[i] > 0 ? dy[i] : 0 — the gradient of relu from its output (0 at 0, as PyTorch).</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Check(y.Length, dy.Length); Check(y.Length, dx.Length);
        if (y.Length < ParallelThreshold) { ReluBackwardSerial(y, dy, dx); return; }
        fixed (float* py = y, pdy = dy, pdx = dx) RunChunked(new ReluBackwardOp(py, pdy, pdx), y.Length);
    }

    /// <summary>y[i] = a · x[i] + b</summary>
    public static void Affine(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        Check(x.Length, y.Length);
        if (y.Length < ParallelThreshold) { AffineSerial(x, a, b, y); return; }
        fixed (float* px = x, py = y) RunChunked(new AffineOp(px, a, b, py), y.Length);
    }

    /// <summary>y[i] = max(a · x[i] + b, 0): an affine map fused with relu (batch norm + ReLU).</summary>
    public static void AffineRelu(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        Check(x.Length, y.Length);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var va = new Vector<float>(a); var vb = new Vector<float>(b);
        for (int v = 0; v < vy.Length; v++) vy[v] = Vector.Max(vx[v] * va + vb, Vector<float>.Zero);
        for (int i = vy.Length * Vector<float>.Count; i < y.Length; i++) y[i] = ReluOf(a * x[i] + b);
    }
    private static void AddInPlaceSerial(Span<float> y, ReadOnlySpan<float> x)
    {
        int i = 0, w = Vector<float>.Count;
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        for (int v = 0; v < vy.Length; v++) vy[v] += vx[v];
        for (i = vy.Length * w; i < y.Length; i++) y[i] += x[i];
    }

    /// <summary>z[i] = x[i] + y[i]</summary>
    public static void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z)
    {
        Check(x.Length, y.Length); Check(x.Length, z.Length);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var vz = MemoryMarshal.Cast<float, Vector<float>>(z);
        for (int v = 0; v < vz.Length; v++) vz[v] = vx[v] + vy[v];
        for (int i = vz.Length * Vector<float>.Count; i < z.Length; i++) z[i] = x[i] + y[i];
    }

    /// <summary>z[i] = x[i] * y[i]</summary>
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z)
    {
        Check(x.Length, y.Length); Check(x.Length, z.Length);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var vz = MemoryMarshal.Cast<float, Vector<float>>(z);
        for (int v = 0; v < vz.Length; v++) vz[v] = vx[v] * vy[v];
        for (int i = vz.Length * Vector<float>.Count; i < z.Length; i++) z[i] = x[i] * y[i];
    }

    private static void AffineSerial(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var va = new Vector<float>(a); var vb = new Vector<float>(b);
        for (int v = 0; v < vy.Length; v++) vy[v] = vx[v] * va + vb;
        for (int i = vy.Length * Vector<float>.Count; i < y.Length; i++) y[i] = a * x[i] + b;
    }

    /// <summary>y[i] += a · x[i]</summary>
    public static void AddScaled(Span<float> y, float a, ReadOnlySpan<float> x)
    {
        Check(y.Length, x.Length);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var va = new Vector<float>(a);
        for (int v = 0; v < vy.Length; v++) vy[v] += va * vx[v];
        for (int i = vy.Length * Vector<float>.Count; i < y.Length; i++) y[i] += a * x[i];
    }

    private static void ReluSerial(ReadOnlySpan<float> x, Span<float> y)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (int v = 0; v < vy.Length; v++) vy[v] = Vector.Max(vx[v], Vector<float>.Zero);
        for (int i = vy.Length * Vector<float>.Count; i < y.Length; i++) y[i] = ReluOf(x[i]);
    }

    /// <summary>
    /// max(t, 0) of one value as the vector lanes' <c>Vector.Max</c> computes it (and torch.relu): −0 gives +0, a NaN
    /// stays that NaN. Every ReLU kernel's scalar tail goes through it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ReluOf(float t) => t <= 0f ? 0f : t;

    private static void AddReluSerial(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (int v = 0; v < vy.Length; v++) vy[v] = Vector.Max(va[v] + vb[v], Vector<float>.Zero);
        for (int i = vy.Length * Vector<float>.Count; i < y.Length; i++) y[i] = ReluOf(a[i] + b[i]);
    }

    private static void ReluBackwardSerial(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var vdy = MemoryMarshal.Cast<float, Vector<float>>(dy);
        var vdx = MemoryMarshal.Cast<float, Vector<float>>(dx);
        for (int v = 0; v < vdx.Length; v++)
            vdx[v] = Vector.ConditionalSelect(Vector.GreaterThan(vy[v], Vector<float>.Zero), vdy[v], Vector<float>.Zero);
        for (int i = vdx.Length * Vector<float>.Count; i < dx.Length; i++) dx[i] = y[i] > 0 ? dy[i] : 0f;
    }

    /// <summary>y[i] = 1 / (1 + exp(-x[i]))</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        Check(x.Length, y.Length);
        for (int i = 0; i < y.Length; i++) y[i] = 1f / (1f + MathF.Exp(-x[i]));
    }

    /// <summary>dx[i] = dy[i] · y[i] · (1 − y[i]) — the gradient of sigmoid from its output.</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Check(y.Length, dy.Length); Check(y.Length, dx.Length);
        for (int i = 0; i < dx.Length; i++) dx[i] = dy[i] * y[i] * (1f - y[i]);
    }

    /// <summary>Σ x[i], accumulated in double (8 float lanes widened to double, then the tail).</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        fixed (float* px = x) return BatchNorm.SumWide(px, x.Length);
    }

    private static void Check(int a, int b)
    {
        if (a != b) throw new ArgumentException($"span lengths differ: {a} vs {b}");
    }
}
