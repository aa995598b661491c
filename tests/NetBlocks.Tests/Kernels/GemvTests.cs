using NetBlocks.Kernels;

namespace NetBlocks.Tests.Kernels;

/// <summary>
/// The matrix-vector product (m == 1 or n == 1) with contiguous rows: several rows at a time on AVX-512 must give the
/// same bits as one dot product per row (<see cref="Gemm.Dot"/>, the order the GEMV had), for every tail (rows not a
/// multiple of <see cref="Gemm.DotRows"/>, depths not a multiple of 32 or 8), strides, alpha/beta and thread splits.
/// </summary>
public unsafe class GemvTests
{
    // Depths hitting each of Dot's loops alone and together: the 32-wide body, the 8-wide tail, the scalar tail.
    private static readonly int[] Depths = [1, 3, 7, 8, 9, 15, 16, 31, 32, 33, 40, 63, 64, 71, 100, 257];

    // Output counts: below, at and past multiples of the rows taken at once, and past a 64-output thread chunk.
    private static readonly int[] Lengths = [1, 2, 3, 4, 5, 7, 8, 9, 13, 64, 67, 130, 201];

    public static IEnumerable<object[]> PathsAndThreads()
    {
        foreach (var path in new[] { "Avx512", "Avx2", "Vector128", "Scalar" })
            foreach (int threads in new[] { 1, 2 })
                yield return [path, threads];
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void RowVector_TimesTransposedMatrix_SameBitsAsOneDotPerOutput(string pathName, int threads)
    {
        // y[1×n] = x[1×k] · Bᵀ with B n×k (a linear layer at batch 1): rows of B are contiguous.
        var path = Enum.Parse<GemmPath>(pathName);
        if (!Gemm.IsSupported(path)) return;
        var rng = new Random(11 + threads);
        foreach (int k in Depths)
            foreach (int n in Lengths)
            {
                int ldb = k + (n % 3 == 0 ? 0 : 5);
                float[] x = GemmTests.RandomArray(rng, k), b = GemmTests.RandomArray(rng, n * ldb), y = GemmTests.NaNArray(n);
                fixed (float* px = x, pb = b, py = y)
                {
                    Gemm.Sgemm(path, threads, false, true, 1, n, k, 1f, px, k, pb, ldb, 0f, py, n);
                    for (int j = 0; j < n; j++)
                        AssertSameBits(Gemm.Dot(pb + j * ldb, px, k, path), y[j], $"{path} threads={threads} n={n} k={k} j={j}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void MatrixTimesColumnVector_WithAlphaBetaAndStrides_SameBitsAsOneDotPerOutput(string pathName, int threads)
    {
        // y[m×1] = alpha · A[m×k] · x[k×1] + beta · y with A's rows lda apart, x strided (ldb) and y strided (ldc).
        var path = Enum.Parse<GemmPath>(pathName);
        if (!Gemm.IsSupported(path)) return;
        var rng = new Random(23 + threads);
        const float alpha = 0.75f, beta = -0.5f;
        foreach (int k in Depths)
            foreach (int m in Lengths)
            {
                if (m == 1) continue; // 1×1 output: the m == 1 form, a strided column of B (not rows of A)
                int lda = k + 3, ldb = 2, ldc = 3;
                float[] a = GemmTests.RandomArray(rng, m * lda), x = GemmTests.RandomArray(rng, k * ldb), y = GemmTests.RandomArray(rng, m * ldc);
                float[] y0 = (float[])y.Clone();
                float[] xc = new float[k];
                for (int q = 0; q < k; q++) xc[q] = x[q * ldb];
                fixed (float* pa = a, px = x, py = y, pxc = xc)
                {
                    Gemm.Sgemm(path, threads, false, false, m, 1, k, alpha, pa, lda, px, ldb, beta, py, ldc);
                    for (int i = 0; i < m; i++)
                    {
                        float expected = alpha * Gemm.Dot(pa + i * lda, pxc, k, path) + beta * y0[i * ldc];
                        AssertSameBits(expected, y[i * ldc], $"{path} threads={threads} m={m} k={k} i={i}");
                        for (int j = 1; j < ldc && i * ldc + j < y.Length; j++)
                            Assert.True(y[i * ldc + j].Equals(y0[i * ldc + j]), $"padding of y written at {i * ldc + j}");
                    }
                }
            }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MatrixLargerThanDotRowsMax_OneRowAtATime_SameBitsAsOneDotPerOutput(int threads)
    {
        // Past DotRowsMaxFloats the rows go one at a time (and the outputs split over threads): still Dot's bits.
        const int n = 1030, k = 260;
        Assert.True((long)n * k > Gemm.DotRowsMaxFloats);
        var rng = new Random(5);
        float[] x = GemmTests.RandomArray(rng, k), b = GemmTests.RandomArray(rng, n * k), y = GemmTests.NaNArray(n);
        fixed (float* px = x, pb = b, py = y)
        {
            Gemm.Sgemm(GemmPath.Auto, threads, false, true, 1, n, k, 1f, px, k, pb, k, 0f, py, n);
            for (int j = 0; j < n; j++)
                AssertSameBits(Gemm.Dot(pb + j * k, px, k, Gemm.BestPath), y[j], $"threads={threads} output {j}");
        }
    }

    private static void AssertSameBits(float expected, float actual, string what)
    {
        if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual))
            Assert.Fail($"{what}: {actual:R}, expected {expected:R} (bit for bit)");
    }
}
