using NetBlocks.Kernels;

namespace NetBlocks.Tests.Kernels;

public unsafe class GemmTests
{
    // (m, n, k): every size in 1, 2, 3, 5, 7, 13, 16, 17, 31, 33, 64, 97, 127, 130 on the diagonal, hitting every
    // remainder of the 4/6/8/16-row and 4/8/16/32-column register blocks, plus skewed and prime mixes.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (2, 2, 2), (3, 3, 3), (5, 5, 5), (7, 7, 7), (13, 13, 13), (16, 16, 16), (17, 17, 17),
        (31, 31, 31), (33, 33, 33), (64, 64, 64), (97, 97, 97), (127, 127, 127), (130, 130, 130),
        (1, 130, 7), (130, 1, 13), (17, 33, 5), (97, 31, 64), (13, 127, 2), (5, 7, 130), (33, 16, 97),
        (64, 3, 31), (127, 64, 17), (2, 1, 1), (3, 97, 33), (31, 130, 127), (16, 300, 27), (128, 10, 300),
        (11, 19, 23), (37, 41, 43), (61, 59, 257), (12, 32, 256), (24, 64, 513),
    ];

    // (alpha, beta): beta 0 runs on a NaN-filled C, which must not leak into the result.
    private static readonly (float Alpha, float Beta)[] Scalings = [(1f, 0f), (1f, 1f), (0.5f, 0.5f), (-1.5f, 0f), (2f, -1f)];

    public static IEnumerable<object[]> PathThreadTrans()
    {
        foreach (var path in new[] { "Avx512", "Avx2", "Vector128", "Scalar" })
            foreach (int threads in new[] { 1, 2 })
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                        yield return [path, threads, ta, tb];
    }

    [Theory]
    [MemberData(nameof(PathThreadTrans))]
    public void MatchesReference_AllShapes(string pathName, int threads, bool transA, bool transB)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        if (!Gemm.IsSupported(path)) return; // not on this machine: nothing to exercise
        var rng = new Random(1234 + (int)path * 16 + threads * 4 + (transA ? 2 : 0) + (transB ? 1 : 0));
        for (int s = 0; s < Shapes.Length; s++)
        {
            var (m, n, k) = Shapes[s];
            var (alpha, beta) = Scalings[s % Scalings.Length];
            int pad = s % 3 == 0 ? 0 : s % 3 == 1 ? 3 : 16; // leading dimensions wider than the rows
            // B not transposed can be read in place or packed: cover both whatever the heuristic picks.
            foreach (bool? directB in transB ? new bool?[] { null } : new bool?[] { false, true })
                Check(rng, path, threads, transA, transB, m, n, k, alpha, beta, pad, pad + 1, pad + 2, directB: directB);
        }
    }

    [Theory]
    [InlineData("Avx512")]
    [InlineData("Avx2")]
    [InlineData("Vector128")]
    [InlineData("Scalar")]
    public void ChunkedPacking_MatchesReference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        if (!Gemm.IsSupported(path)) return;
        var rng = new Random(77);
        // Tiny pack caps force several m, n and k chunks; k chunks not a multiple of KC; beta applied only once.
        foreach (var (packCap, kChunk) in new[] { (64, 7), (1000, 100), (5000, 300), (1, 1) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (int threads in new[] { 1, 2 })
                        foreach (bool directB in new[] { false, true })
                            Check(rng, path, threads, ta, tb, 45, 71, 310, 1.25f, 0.5f, 1, 0, 5, packCap, kChunk, directB);
    }

    [Theory]
    [InlineData("Avx512")]
    [InlineData("Avx2")]
    public void FmaPaths_SameBitsAsOneFmaChainPerKBlock(string pathName)
    {
        // The order of summation of every C element, which the README model's checksum depends on: k blocks of KC in
        // order, within a block one fused multiply-add chain from zero in k order, each block's sum added to C
        // (alpha 1). A different register block, edge handling, thread split, packing or prefetch must keep it.
        var path = Enum.Parse<GemmPath>(pathName);
        if (!Gemm.IsSupported(path)) return;
        int kc = (path == GemmPath.Avx512 ? Gemm.Blocking.Avx512 : Gemm.Blocking.Avx2).KC;
        var rng = new Random(99);
        var shapes = new[] { (2, 2, 1), (9, 33, 257), (17, 40, 513), (130, 70, 300), (8, 32, 256), (16, 17, 600), (33, 5, 100), (12, 16, 3) };
        foreach (var (m, n, k) in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (int threads in new[] { 1, 2 })
                        foreach (float beta in new[] { 0f, 1f, 0.5f })
                            foreach (bool? directB in tb ? new bool?[] { null } : new bool?[] { false, true })
                            {
                                int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
                                float[] a = RandomArray(rng, (ta ? k : m) * lda), b = RandomArray(rng, (tb ? n : k) * ldb);
                                float[] c = beta == 0f ? NaNArray(m * ldc) : RandomArray(rng, m * ldc), c0 = (float[])c.Clone();
                                fixed (float* pa = a, pb = b, pc = c)
                                    Gemm.Sgemm(path, threads, ta, tb, m, n, k, 1f, pa, lda, pb, ldb, beta, pc, ldc, directB: directB);
                                for (int i = 0; i < m; i++)
                                    for (int j = 0; j < n; j++)
                                    {
                                        float acc = beta == 0f ? 0f : beta * c0[i * ldc + j];
                                        for (int p0 = 0; p0 < k; p0 += kc)
                                        {
                                            float t = 0f;
                                            for (int p = p0; p < Math.Min(k, p0 + kc); p++)
                                                t = MathF.FusedMultiplyAdd(ta ? a[p * lda + i] : a[i * lda + p], tb ? b[j * ldb + p] : b[p * ldb + j], t);
                                            acc = p0 == 0 && beta == 0f ? t : t + acc;
                                        }
                                        float actual = c[i * ldc + j];
                                        if (BitConverter.SingleToInt32Bits(acc) != BitConverter.SingleToInt32Bits(actual))
                                            Assert.Fail($"{path} m={m} n={n} k={k} tA={ta} tB={tb} threads={threads} beta={beta} directB={directB}: C[{i},{j}] = {actual:R}, expected {acc:R} bit for bit");
                                    }
                            }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void PublicApi_LargeProblem_MatchesReference(bool transA, bool transB)
    {
        // Above the parallel cut-off, through the public entry point with the default path and threads.
        var rng = new Random(5);
        const int m = 203, n = 301, k = 257;
        float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c = RandomArray(rng, m * n);
        float[] c0 = (float[])c.Clone();
        Gemm.Sgemm(transA, transB, m, n, k, 0.75f, a, transA ? m : k, b, transB ? k : n, 0.25f, c, n);
        AssertClose(m, n, k, 0.75f, a, transA ? m : k, transA, b, transB ? k : n, transB, 0.25f, c0, c, n);
    }

    [Fact]
    public void PublicApi_SkinnyShapes_MatchReference()
    {
        var rng = new Random(6);
        // Convolution-like (16×9216, k 27) and linear-layer-like (128×10, k 4096) problems.
        foreach (var (m, n, k) in new[] { (16, 9216, 27), (128, 10, 4096), (1, 1000, 1000), (1000, 1, 500) })
        {
            float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c = NaNArray(m * n);
            Gemm.Sgemm(m, n, k, a, b, c);
            AssertClose(m, n, k, 1f, a, k, false, b, n, false, 0f, c, c, n);
        }
    }

    [Fact]
    public void ConcurrentCallers_EachGetTheirOwnResult()
    {
        // Callers on several threads share the pool (whoever finds it busy runs inline) but not buffers.
        const int callers = 4, m = 67, n = 75, k = 301;
        var rng = new Random(8);
        var a = Enumerable.Range(0, callers).Select(_ => RandomArray(rng, m * k)).ToArray();
        var b = Enumerable.Range(0, callers).Select(_ => RandomArray(rng, k * n)).ToArray();
        var c = Enumerable.Range(0, callers).Select(_ => NaNArray(m * n)).ToArray();
        Parallel.For(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, i =>
        {
            for (int rep = 0; rep < 5; rep++)
                fixed (float* pa = a[i], pb = b[i], pc = c[i])
                    Gemm.Sgemm(GemmPath.Auto, 2, i % 2 == 1, false, m, n, k, 1f, pa, i % 2 == 1 ? m : k, pb, n, 0f, pc, n);
        });
        for (int i = 0; i < callers; i++)
            AssertClose(m, n, k, 1f, a[i], i % 2 == 1 ? m : k, i % 2 == 1, b[i], n, false, 0f, c[i], c[i], n);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(-2f)]
    public void ZeroDepth_ScalesC(float beta)
    {
        float[] c = [1f, 2f, float.NaN, 4f, 5f, 6f];
        if (beta != 0f) c[2] = 3f;
        float[] expected = c.Select(x => beta == 0f ? 0f : beta * x).ToArray();
        Gemm.Sgemm(false, false, 2, 3, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 3, beta, c, 3);
        Assert.Equal(expected, c);
    }

    [Fact]
    public void ZeroAlpha_ScalesCWithoutReadingInputs()
    {
        float[] a = [float.NaN, float.NaN], b = [float.NaN, float.NaN], c = [1f, 2f, 3f, 4f];
        Gemm.Sgemm(false, false, 2, 2, 1, 0f, a, 1, b, 2, 0.5f, c, 2);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
    }

    [Fact]
    public void EmptyOutput_IsNoOp()
    {
        float[] c = [7f];
        Gemm.Sgemm(false, false, 0, 1, 5, 1f, ReadOnlySpan<float>.Empty, 5, new float[5], 1, 0f, c, 1);
        Gemm.Sgemm(false, false, 1, 0, 5, 1f, new float[5], 5, ReadOnlySpan<float>.Empty, 1, 0f, c, 1);
        Assert.Equal(7f, c[0]);
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2)); // lda < k
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, true, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2)); // ldb < k
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 1)); // ldc < n
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a.AsSpan(1), 3, b, 2, 0f, c, 2)); // A short
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c.AsSpan(1), 2)); // C short
    }

    [Fact]
    public void PackPanel_TransposesAndPads()
    {
        // Exercises the 8×8 / 4×4 transposes and the zero padding of the packers directly.
        var rng = new Random(9);
        foreach (int r in new[] { 4, 6, 8, 12, 16, 32 })
            foreach (int rows in new[] { 1, 3, 4, 5, 8, 11, 12, 16, 17, 32 })
            {
                if (rows > r) continue;
                foreach (int kc in new[] { 1, 7, 8, 9, 17 })
                    foreach (bool contiguousRows in new[] { false, true })
                    {
                        int ld = (contiguousRows ? rows : kc) + 3;
                        float[] src = RandomArray(rng, (contiguousRows ? kc : rows) * ld);
                        float[] dst = NaNArray(kc * r);
                        nint sp = contiguousRows ? ld : 1, sr = contiguousRows ? 1 : ld;
                        fixed (float* s = src, d = dst)
                            Gemm.PackPanel(d, r, s, sp, sr, kc, rows);
                        for (int p = 0; p < kc; p++)
                            for (int i = 0; i < r; i++)
                                Assert.Equal(i < rows ? src[p * sp + i * sr] : 0f, dst[p * r + i]);
                    }
            }
    }

    private static void Check(Random rng, GemmPath path, int threads, bool transA, bool transB, int m, int n, int k,
        float alpha, float beta, int padA, int padB, int padC, int packCap = 1 << 20, int kChunk = 4096, bool? directB = null)
    {
        int lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
        float[] a = RandomArray(rng, (transA ? k : m) * lda);
        float[] b = RandomArray(rng, (transB ? n : k) * ldb);
        float[] c = beta == 0f ? NaNArray(m * ldc) : RandomArray(rng, m * ldc);
        float[] c0 = (float[])c.Clone();
        fixed (float* pa = a, pb = b, pc = c)
        {
            Gemm.Sgemm(path, threads, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, packCap, kChunk, directB);
        }
        AssertClose(m, n, k, alpha, a, lda, transA, b, ldb, transB, beta, c0, c, ldc,
            $"path={path} threads={threads} tA={transA} tB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta} directB={directB}");
        // The padding between rows of C is never written.
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
                Assert.True(c[i * ldc + j].Equals(c0[i * ldc + j]), $"padding of C written at ({i},{j})");
    }

    /// <summary>
    /// Compares with a double-precision triple loop. Bound: a float dot product of length k is within
    /// γ_k·Σ|a||b| of the exact one (γ_k ≈ k·2⁻²⁴), plus a few roundings for alpha, beta and the final sum.
    /// </summary>
    private static void AssertClose(int m, int n, int k, float alpha, float[] a, int lda, bool transA,
        float[] b, int ldb, bool transB, float beta, float[] c0, float[] c, int ldc, string? what = null)
    {
        const double u = 1.0 / (1 << 24);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0, mag = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = transA ? a[p * lda + i] : a[i * lda + p];
                    double y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    dot += x * y;
                    mag += Math.Abs(x * y);
                }
                double old = beta == 0f ? 0 : c0[i * ldc + j];
                double expected = alpha * dot + beta * old;
                double tol = 2 * (k + 4) * u * (Math.Abs(alpha) * mag + Math.Abs(beta * old)) + 1e-30;
                double actual = c[i * ldc + j];
                if (!(Math.Abs(actual - expected) <= tol))
                    Assert.Fail($"{what} C[{i},{j}] = {actual}, expected {expected} (tolerance {tol})");
            }
    }

    internal static float[] RandomArray(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    internal static float[] NaNArray(int length)
    {
        var x = new float[length];
        Array.Fill(x, float.NaN);
        return x;
    }
}

public class ThreadingPoolTests
{
    private struct CountBody : IParallelBody
    {
        public int[] Hits;
        public readonly void Invoke(int index) => Interlocked.Increment(ref Hits[index]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 1000)]
    [InlineData(4, 37)]
    public void For_RunsEveryIndexOnce(int threads, int count)
    {
        for (int rep = 0; rep < 50; rep++)
        {
            var body = new CountBody { Hits = new int[count] };
            Threading.For(count, ref body, threads);
            Assert.All(body.Hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void For_DelegateOverload_RunsEveryIndex()
    {
        var hits = new int[100];
        Threading.For(hits.Length, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_PropagatesExceptions_AndPoolStaysUsable()
    {
        var body = new ThrowBody();
        Assert.Throws<InvalidOperationException>(() => Threading.For(64, ref body, 2));
        var count = new CountBody { Hits = new int[64] };
        Threading.For(64, ref count, 2);
        Assert.All(count.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_Nested_RunsInline()
    {
        var hits = new int[8 * 8];
        Threading.For(8, i => Threading.For(8, j => Interlocked.Increment(ref hits[i * 8 + j])));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    private struct ThrowBody : IParallelBody
    {
        public readonly void Invoke(int index)
        {
            if (index == 13) throw new InvalidOperationException("boom");
        }
    }
}
