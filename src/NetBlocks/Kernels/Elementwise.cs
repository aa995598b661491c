using System.Numerics;
using System.Runtime.InteropServices;

namespace NetBlocks.Kernels;

/// <summary>
/// Elementwise kernels on equal-length spans, vectorised with <see cref="Vector{T}"/> (8 lanes on AVX2) and a scalar tail.
/// </summary>
public static class Elementwise
{
    /// <summary>y[i] += x[i]</summary>
    public static void AddInPlace(Span<float> y, ReadOnlySpan<float> x)
    {
        Check(y.Length, x.Length);
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

    /// <summary>y[i] = a · x[i] + b</summary>
    public static void Affine(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        Check(x.Length, y.Length);
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

    /// <summary>y[i] = max(x[i], 0)</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        Check(x.Length, y.Length);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (int v = 0; v < vy.Length; v++) vy[v] = Vector.Max(vx[v], Vector<float>.Zero);
        for (int i = vy.Length * Vector<float>.Count; i < y.Length; i++) y[i] = x[i] > 0 ? x[i] : 0f;
    }

    /// <summary>dx[i] = y[i] > 0 ? dy[i] : 0 — the gradient of relu from its output (0 at 0, as PyTorch).</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Check(y.Length, dy.Length); Check(y.Length, dx.Length);
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

    /// <summary>Σ x[i], accumulated in double.</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i];
        return s;
    }

    private static void Check(int a, int b)
    {
        if (a != b) throw new ArgumentException($"span lengths differ: {a} vs {b}");
    }
}
