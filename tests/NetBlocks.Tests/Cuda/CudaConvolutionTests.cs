using NetBlocks.Cuda;
using NetBlocks.Kernels;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// The implicit-GEMM convolutions on the CPU accelerator against the engine's CPU <see cref="Convolution"/>: forward
/// (with and without bias), input gradient, weight and bias gradients, over groups, strides, padding, non-square
/// kernels and sizes that leave remainders in every tile of the 12 × 8 × 3 blocking.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaConvolutionTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;

    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Geometries() => new()
    {
        // N, C, H, W, OC, KH, KW, stride, padding, groups
        { 2, 3, 5, 6, 4, 3, 3, 1, 1, 1 },    // plain 3×3, odd plane
        { 2, 4, 7, 5, 6, 3, 3, 2, 1, 2 },    // stride 2, two groups
        { 1, 6, 6, 6, 6, 3, 3, 1, 1, 6 },    // depthwise
        { 3, 5, 4, 4, 13, 1, 1, 1, 0, 1 },   // pointwise, 13 output channels (one past a 12-row block)
        { 2, 4, 9, 7, 4, 2, 3, 2, 0, 2 },    // non-square kernel, stride 2, no padding
        { 1, 2, 3, 3, 3, 5, 5, 1, 2, 1 },    // window larger than the image, padding 2
    };

    private static ConvGeometry Geometry(int n, int c, int h, int w, int oc, int kh, int kw, int stride, int padding, int groups)
        => new(n, c, h, w, oc, kh, kw, stride, padding, groups);

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardMatchesTheCpuConvolution(int n, int c, int h, int w, int oc, int kh, int kw, int stride, int padding, int groups)
    {
        var g = Geometry(n, c, h, w, oc, kh, kw, stride, padding, groups);
        var x = CudaAssert.Random((int)g.InputElements, 10);
        var weight = CudaAssert.Random((int)g.WeightElements, 11);
        var bias = CudaAssert.Random(oc, 12);
        var expected = new float[g.OutputElements];
        Convolution.Forward(x, 0, weight, 0, bias, 0, expected, 0, g);
        var expectedNoBias = new float[g.OutputElements];
        Convolution.Forward(x, 0, weight, 0, null, 0, expectedNoBias, 0, g);

        using var dx = _gpu.Upload(x);
        using var dw = _gpu.Upload(weight);
        using var db = _gpu.Upload(bias);
        using var dy = _gpu.Rent<float>(g.OutputElements);
        _gpu.Convolution.Forward(dx.View, dw.View, db.View, dy.View, g);
        CudaAssert.Close(expected, dy.Download(), "y");
        _gpu.Convolution.Forward(dx.View, dw.View, default, dy.View, g);
        CudaAssert.Close(expectedNoBias, dy.Download(), "y without bias");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void GradientsMatchTheCpuConvolution(int n, int c, int h, int w, int oc, int kh, int kw, int stride, int padding, int groups)
    {
        var g = Geometry(n, c, h, w, oc, kh, kw, stride, padding, groups);
        var x = CudaAssert.Random((int)g.InputElements, 20);
        var weight = CudaAssert.Random((int)g.WeightElements, 21);
        var gradient = CudaAssert.Random((int)g.OutputElements, 22);
        var expectedDx = new float[g.InputElements];
        Convolution.BackwardData(gradient, 0, weight, 0, expectedDx, 0, g);
        var expectedDw = new float[g.WeightElements];
        var expectedDb = new float[oc];
        Convolution.BackwardWeight(gradient, 0, x, 0, expectedDw, 0, expectedDb, 0, g);

        using var dX = _gpu.Upload(x);
        using var dW = _gpu.Upload(weight);
        using var dDy = _gpu.Upload(gradient);
        using var dDx = _gpu.Rent<float>(g.InputElements);
        using var dDw = _gpu.Rent<float>(g.WeightElements);
        using var dDb = _gpu.Rent<float>(oc);
        _gpu.Convolution.BackwardData(dDy.View, dW.View, dDx.View, g);
        _gpu.Convolution.BackwardWeight(dDy.View, dX.View, dDw.View, dDb.View, g);
        CudaAssert.Close(expectedDx, dDx.Download(), "dx");
        CudaAssert.Close(expectedDw, dDw.Download(), "dw");
        CudaAssert.Close(expectedDb, dDb.Download(), "db");
    }

    [Fact]
    public void BadGeometriesAndShortViewsAreRejected()
    {
        using var buffer = _gpu.Rent<float>(16);
        var v = buffer.View;
        var oddGroups = new ConvGeometry(1, 3, 4, 4, 4, 3, 3, 1, 1, 2);
        Assert.Contains("groups 2 must divide", Assert.Throws<ArgumentException>(() => _gpu.Convolution.Forward(v, v, default, v, oddGroups)).Message);
        var fine = new ConvGeometry(1, 2, 4, 4, 2, 3, 3, 1, 1, 1);
        Assert.Contains("dy has 16 elements", Assert.Throws<ArgumentException>(() => _gpu.Convolution.BackwardWeight(v, v, v, default, fine)).Message);
    }
}
