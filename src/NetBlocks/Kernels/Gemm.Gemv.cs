using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// m == 1 or n == 1 (a batch of one through a linear layer, a single output channel): a matrix-vector
    /// product, y[i] = alpha · Σ_q M[i·si + q·sq] · x[q·sx] + beta · y[i·sy] for i &lt; len, q &lt; k. It is bound by
    /// memory, so it reads the matrix once in place instead of packing it.
    /// </summary>
    private static void Gemv(ref Problem p, GemmPath path)
    {
        float* mat, x;
        nint si, sq, sx, sy;
        int len;
        if (p.M == 1)
        {
            // y = C[0, :]; M(j, q) = op(B)(q, j); x = op(A)(0, :).
            len = p.N;
            mat = p.B;
            (si, sq) = p.TransB ? (p.Ldb, (nint)1) : (1, p.Ldb);
            x = p.A;
            sx = p.TransA ? p.Lda : 1;
            sy = 1;
        }
        else
        {
            // y = C[:, 0]; M(i, q) = op(A)(i, q); x = op(B)(:, 0).
            len = p.M;
            mat = p.A;
            (si, sq) = p.TransA ? ((nint)1, p.Lda) : (p.Lda, 1);
            x = p.B;
            sx = p.TransB ? 1 : p.Ldb;
            sy = p.Ldc;
        }

        // Contiguous copies of x and of the result (the caller's buffer; helpers write disjoint ranges of it).
        int k = p.K;
        float* buffer = PackBuffers.Shared(RoundUp(k, 16) + (nint)len);
        float* xc = x;
        if (sx != 1)
        {
            xc = buffer;
            for (int q = 0; q < k; q++) xc[q] = x[q * sx];
        }
        var body = new GemvBody
        {
            Mat = mat, X = xc, Y = p.C, T = buffer + RoundUp(k, 16), Si = si, Sq = sq, Sy = sy,
            Len = len, K = k, Alpha = p.Alpha, Beta = p.Beta, Path = path,
        };
        // Chunks of outputs: a multiple of 64 so that the threads never share a cache line of T or y.
        int chunk = p.Threads == 1 ? len : Math.Max(64, RoundUp(CeilDiv(len, 4 * p.Threads), 64));
        body.Chunk = chunk;
        Threading.For(CeilDiv(len, chunk), ref body, p.Threads);
    }

    private struct GemvBody : IParallelBody
    {
        public float* Mat, X, Y, T;
        public nint Si, Sq, Sy;
        public int Len, K, Chunk;
        public float Alpha, Beta;
        public GemmPath Path;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Invoke(int item)
        {
            int i0 = item * Chunk, i1 = Math.Min(Len, i0 + Chunk);
            float* t = T + i0;
            int count = i1 - i0;
            if (Sq == 1)
            {
                // Rows of the matrix are contiguous: one dot product per output. On AVX-512, a matrix that cache
                // holds goes four rows at a time (sharing the loads of x; each row summed exactly as Dot sums it);
                // a larger one streams from memory, where one sequential stream is faster than four.
                int i = 0;
                if (Path == GemmPath.Avx512 && Avx512F.IsSupported && (long)Len * K <= DotRowsMaxFloats)
                    for (; i + DotRows <= count; i += DotRows)
                        Dot4(Mat + (i0 + i) * Si, Si, X, K, t + i);
                for (; i < count; i++)
                    t[i] = Dot(Mat + (i0 + i) * Si, X, K, Path);
            }
            else
            {
                // Columns are contiguous (Si == 1): accumulate x[q] · row q of the matrix, four rows at a time.
                new Span<float>(t, count).Clear();
                float* m0 = Mat + i0;
                int q = 0;
                for (; q + 4 <= K; q += 4)
                    Axpy4(t, count, m0 + q * Sq, Sq, X + q, Path);
                for (; q < K; q++)
                {
                    float* row = m0 + q * Sq;
                    float xq = X[q];
                    for (int i = 0; i < count; i++) t[i] += row[i] * xq;
                }
            }
            float* y = Y + i0 * Sy;
            if (Beta == 0f)
                for (int i = 0; i < count; i++) y[i * Sy] = Alpha * t[i];
            else
                for (int i = 0; i < count; i++) y[i * Sy] = Alpha * t[i] + Beta * y[i * Sy];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(float* a, float* b, int n, GemmPath path)
    {
        int i = 0;
        float sum = 0f;
        if (path is GemmPath.Avx512 or GemmPath.Avx2 && Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 32 <= n; i += 32)
            {
                s0 = Vector256.MultiplyAddEstimate(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                s1 = Vector256.MultiplyAddEstimate(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
                s2 = Vector256.MultiplyAddEstimate(Vector256.Load(a + i + 16), Vector256.Load(b + i + 16), s2);
                s3 = Vector256.MultiplyAddEstimate(Vector256.Load(a + i + 24), Vector256.Load(b + i + 24), s3);
            }
            return DotFinish(s0, s1, s2, s3, a, b, i, n);
        }
        if (path is not GemmPath.Scalar && Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s0 = default, s1 = default;
            for (; i + 8 <= n; i += 8)
            {
                s0 = Vector128.MultiplyAddEstimate(Vector128.Load(a + i), Vector128.Load(b + i), s0);
                s1 = Vector128.MultiplyAddEstimate(Vector128.Load(a + i + 4), Vector128.Load(b + i + 4), s1);
            }
            for (; i + 4 <= n; i += 4)
                s0 = Vector128.MultiplyAddEstimate(Vector128.Load(a + i), Vector128.Load(b + i), s0);
            sum = Vector128.Sum(s0 + s1);
        }
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Rows <see cref="Dot4"/> takes at once.</summary>
    internal const int DotRows = 4;

    /// <summary>
    /// The largest matrix (values; 1 MiB, an L2) that <see cref="Dot4"/> reads: from cache four rows at a time pay
    /// (a 1024×10 linear layer 2×, 1152×1024 from L3 1.15×), but from memory four streams 4.6 KB apart ran ~25 %
    /// slower than Dot's one sequential stream (cold-cache A/B, docs/PERFORMANCE.md "GEMM").
    /// </summary>
    internal const long DotRowsMaxFloats = 1 << 18;

    /// <summary>
    /// t[r] = Dot(row r, x) for the four rows r0 + r·stride, with the same arithmetic per row as <see cref="Dot"/> on
    /// AVX-512 and AVX2 (the same bits): Dot's four Vector256 accumulators s0..s3 of a row live as two Vector512
    /// halves (s0|s1) and (s2|s3), each lane fed the same fused multiply-adds in the same order; then Dot's tail of 8,
    /// its reduction (s0 + s1) + (s2 + s3) and its scalar tail. Each load of x serves the four rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4(float* r0, nint stride, float* x, int n, float* t)
    {
        float* r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
        Vector512<float> lo0 = default, hi0 = default, lo1 = default, hi1 = default,
            lo2 = default, hi2 = default, lo3 = default, hi3 = default;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector512<float> xl = Vector512.Load(x + i), xh = Vector512.Load(x + i + 16);
            lo0 = Avx512F.FusedMultiplyAdd(Vector512.Load(r0 + i), xl, lo0);
            hi0 = Avx512F.FusedMultiplyAdd(Vector512.Load(r0 + i + 16), xh, hi0);
            lo1 = Avx512F.FusedMultiplyAdd(Vector512.Load(r1 + i), xl, lo1);
            hi1 = Avx512F.FusedMultiplyAdd(Vector512.Load(r1 + i + 16), xh, hi1);
            lo2 = Avx512F.FusedMultiplyAdd(Vector512.Load(r2 + i), xl, lo2);
            hi2 = Avx512F.FusedMultiplyAdd(Vector512.Load(r2 + i + 16), xh, hi2);
            lo3 = Avx512F.FusedMultiplyAdd(Vector512.Load(r3 + i), xl, lo3);
            hi3 = Avx512F.FusedMultiplyAdd(Vector512.Load(r3 + i + 16), xh, hi3);
        }
        t[0] = DotFinish(lo0.GetLower(), lo0.GetUpper(), hi0.GetLower(), hi0.GetUpper(), r0, x, i, n);
        t[1] = DotFinish(lo1.GetLower(), lo1.GetUpper(), hi1.GetLower(), hi1.GetUpper(), r1, x, i, n);
        t[2] = DotFinish(lo2.GetLower(), lo2.GetUpper(), hi2.GetLower(), hi2.GetUpper(), r2, x, i, n);
        t[3] = DotFinish(lo3.GetLower(), lo3.GetUpper(), hi3.GetLower(), hi3.GetUpper(), r3, x, i, n);
    }

    /// <summary>
    /// The end of <see cref="Dot"/>'s AVX path (and so of <see cref="Dot4"/>'s rows) from its accumulators s0..s3 at
    /// index i: the tail of 8, the reduction (s0 + s1) + (s2 + s3), the scalar tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotFinish(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3, float* a, float* b, int i, int n)
    {
        for (; i + 8 <= n; i += 8)
            s0 = Vector256.MultiplyAddEstimate(Vector256.Load(a + i), Vector256.Load(b + i), s0);
        float sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>t[0..n) += x[0]·r0 + x[1]·r1 + x[2]·r2 + x[3]·r3, rows rq = row + q·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy4(float* t, int n, float* row, nint stride, float* x, GemmPath path)
    {
        float x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        float* r0 = row, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
        int i = 0;
        if (path is GemmPath.Avx512 or GemmPath.Avx2 && Vector256.IsHardwareAccelerated)
        {
            Vector256<float> v0 = Vector256.Create(x0), v1 = Vector256.Create(x1), v2 = Vector256.Create(x2), v3 = Vector256.Create(x3);
            for (; i + 8 <= n; i += 8)
            {
                var acc = Vector256.Load(t + i);
                acc = Vector256.MultiplyAddEstimate(Vector256.Load(r0 + i), v0, acc);
                acc = Vector256.MultiplyAddEstimate(Vector256.Load(r1 + i), v1, acc);
                acc = Vector256.MultiplyAddEstimate(Vector256.Load(r2 + i), v2, acc);
                acc = Vector256.MultiplyAddEstimate(Vector256.Load(r3 + i), v3, acc);
                Vector256.Store(acc, t + i);
            }
        }
        else if (path is not GemmPath.Scalar && Vector128.IsHardwareAccelerated)
        {
            Vector128<float> v0 = Vector128.Create(x0), v1 = Vector128.Create(x1), v2 = Vector128.Create(x2), v3 = Vector128.Create(x3);
            for (; i + 4 <= n; i += 4)
            {
                var acc = Vector128.Load(t + i);
                acc = Vector128.MultiplyAddEstimate(Vector128.Load(r0 + i), v0, acc);
                acc = Vector128.MultiplyAddEstimate(Vector128.Load(r1 + i), v1, acc);
                acc = Vector128.MultiplyAddEstimate(Vector128.Load(r2 + i), v2, acc);
                acc = Vector128.MultiplyAddEstimate(Vector128.Load(r3 + i), v3, acc);
                Vector128.Store(acc, t + i);
            }
        }
        for (; i < n; i++) t[i] += r0[i] * x0 + r1[i] * x1 + r2[i] * x2 + r3[i] * x3;
    }
}
