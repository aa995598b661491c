using NetBlocks.Cuda;
using NetBlocks.Kernels;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// The tiled SGEMM on the CPU accelerator against the engine's CPU <see cref="Gemm"/>: every transpose, alpha/beta,
/// padded leading dimensions, sizes below, at and past the 12 × 8 block and the 3-deep stage (remainders in m, n and k),
/// a batched product; and its argument checks.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaGemmTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;

    [Theory]
    [InlineData(false, false, 1, 1, 1, 1f, 0f)]
    [InlineData(false, false, 12, 8, 3, 1f, 0f)]     // exactly one block, one stage
    [InlineData(false, false, 13, 9, 4, 1f, 0f)]     // one past every tile edge
    [InlineData(false, true, 25, 17, 7, 0.5f, 0f)]
    [InlineData(true, false, 11, 7, 2, 1f, 1f)]      // beta = 1 accumulates into C
    [InlineData(true, true, 30, 23, 10, -1.5f, 0.25f)]
    [InlineData(false, false, 5, 3, 0, 1f, 0.5f)]    // k = 0: C = beta·C
    public void MatchesTheCpuGemm(bool transA, bool transB, int m, int n, int k, float alpha, float beta)
    {
        int lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3;
        var a = CudaAssert.Random((transA ? k : m) * lda, 1);
        var b = CudaAssert.Random((transB ? n : k) * ldb, 2);
        var c = CudaAssert.Random(m * ldc, 3);
        var expected = (float[])c.Clone();
        Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);

        using var da = _gpu.Upload(a);
        using var db = _gpu.Upload(b);
        using var dc = _gpu.Upload(c);
        _gpu.Gemm.Sgemm(transA, transB, m, n, k, alpha, da.View, lda, db.View, ldb, beta, dc.View, ldc);
        CudaAssert.Close(expected, dc.Download(), "C");
    }

    [Fact]
    public void BatchedProductsMatchOneGemmEach()
    {
        const int batch = 3, m = 7, n = 10, k = 5;
        var a = CudaAssert.Random(batch * m * k, 4);
        var b = CudaAssert.Random(k * n, 5); // shared: stride 0
        var expected = new float[batch * m * n];
        for (int z = 0; z < batch; z++)
            Gemm.Sgemm(false, false, m, n, k, 1f, a.AsSpan(z * m * k), k, b, n, 0f, expected.AsSpan(z * m * n), n);

        using var da = _gpu.Upload(a);
        using var db = _gpu.Upload(b);
        using var dc = _gpu.Rent<float>(batch * m * n);
        _gpu.Gemm.SgemmBatched(false, false, m, n, k, 1f, da.View, k, m * k, db.View, n, 0, 0f, dc.View, n, m * n, batch);
        CudaAssert.Close(expected, dc.Download(), "C");
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeAnyKernelRuns()
    {
        using var small = _gpu.Rent<float>(4);
        var view = small.View;
        Assert.Contains("lda", Assert.Throws<ArgumentException>(() => _gpu.Gemm.Sgemm(false, false, 2, 2, 3, 1f, view, 2, view, 2, 0f, view, 2)).Message);
        Assert.Contains("a has 4 elements", Assert.Throws<ArgumentException>(() => _gpu.Gemm.Sgemm(false, false, 2, 2, 3, 1f, view, 3, view, 2, 0f, view, 2)).Message);
        Assert.Contains("negative size", Assert.Throws<ArgumentException>(() => _gpu.Gemm.Sgemm(false, false, -1, 2, 2, 1f, view, 2, view, 2, 0f, view, 2)).Message);
    }
}
