using NetBlocks.Cuda;
using NetBlocks.Kernels;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// Max, average and adaptive-average pooling on the CPU accelerator against the engine's CPU <see cref="Pooling"/>:
/// forward values, the max's argmax, and the backward passes, over strides, padding and overlapping windows.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaPoolingTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;

    public static TheoryData<int, int, int, int, int, int> Geometries() => new()
    {
        // planes, H, W, kernel, stride, padding
        { 3, 6, 6, 2, 2, 0 },     // VGG's 2×2/2
        { 2, 7, 5, 3, 2, 1 },     // ResNet's 3×3/2 padded, odd sizes
        { 2, 5, 5, 3, 1, 1 },     // overlapping windows, stride 1
        { 1, 9, 8, 3, 3, 0 },     // NiN's 3×3/2-like with a remainder
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MaxPoolingMatchesTheCpu(int planes, int h, int w, int kernel, int stride, int padding)
    {
        var g = new PoolGeometry(planes, h, w, kernel, stride, padding);
        int outputs = planes * g.OH * g.OW;
        var x = CudaAssert.Random(planes * h * w, 30);
        x[1] = x[0]; // a tie: the first maximum wins on both
        var dy = CudaAssert.Random(outputs, 31);
        var y = new float[outputs];
        var argmax = new int[outputs];
        Pooling.MaxForward(x, y, argmax, g);
        var dx = new float[x.Length];
        Pooling.MaxBackward(dy, argmax, dx, g);

        using var dX = _gpu.Upload(x);
        using var dY = _gpu.Rent<float>(outputs);
        using var dArgmax = _gpu.Rent<int>(outputs);
        using var dDy = _gpu.Upload(dy);
        using var dDx = _gpu.Rent<float>(x.Length);
        _gpu.Pooling.MaxForward(dX.View, dY.View, dArgmax.View, g);
        _gpu.Pooling.MaxBackward(dDy.View, dArgmax.View, dDx.View, g);
        Assert.Equal(y, dY.Download());
        Assert.Equal(argmax, dArgmax.Download());
        CudaAssert.Close(dx, dDx.Download(), "dx");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void AveragePoolingMatchesTheCpu(int planes, int h, int w, int kernel, int stride, int padding)
    {
        var g = new PoolGeometry(planes, h, w, kernel, stride, padding);
        int outputs = planes * g.OH * g.OW;
        var x = CudaAssert.Random(planes * h * w, 32);
        var dy = CudaAssert.Random(outputs, 33);
        var y = new float[outputs];
        Pooling.AvgForward(x, y, g);
        var dx = new float[x.Length];
        Pooling.AvgBackward(dy, dx, g);

        using var dX = _gpu.Upload(x);
        using var dY = _gpu.Rent<float>(outputs);
        using var dDy = _gpu.Upload(dy);
        using var dDx = _gpu.Rent<float>(x.Length);
        _gpu.Pooling.AvgForward(dX.View, dY.View, g);
        _gpu.Pooling.AvgBackward(dDy.View, dDx.View, g);
        CudaAssert.Close(y, dY.Download(), "y");
        CudaAssert.Close(dx, dDx.Download(), "dx");
    }

    [Theory]
    [InlineData(3, 5, 7, 1, 1)]   // global average (the classifier heads)
    [InlineData(2, 5, 7, 3, 2)]   // uneven, overlapping bins
    [InlineData(1, 4, 4, 4, 4)]   // identity
    public void AdaptiveAveragePoolingMatchesTheCpu(int planes, int h, int w, int oh, int ow)
    {
        var x = CudaAssert.Random(planes * h * w, 34);
        var dy = CudaAssert.Random(planes * oh * ow, 35);
        var y = new float[planes * oh * ow];
        Pooling.AdaptiveAvgForward(x, y, planes, h, w, oh, ow);
        var dx = new float[x.Length];
        Pooling.AdaptiveAvgBackward(dy, dx, planes, h, w, oh, ow);

        using var dX = _gpu.Upload(x);
        using var dY = _gpu.Rent<float>(y.Length);
        using var dDy = _gpu.Upload(dy);
        using var dDx = _gpu.Rent<float>(x.Length);
        _gpu.Pooling.AdaptiveAvgForward(dX.View, dY.View, planes, h, w, oh, ow);
        _gpu.Pooling.AdaptiveAvgBackward(dDy.View, dDx.View, planes, h, w, oh, ow);
        CudaAssert.Close(y, dY.Download(), "y");
        CudaAssert.Close(dx, dDx.Download(), "dx");
    }

    [Fact]
    public void ShortViewsAndBadGeometriesAreRejected()
    {
        using var buffer = _gpu.Rent<float>(8);
        using var argmax = _gpu.Rent<int>(8);
        var g = new PoolGeometry(1, 4, 4, 2, 2, 0);
        Assert.Contains("input has 8 elements", Assert.Throws<ArgumentException>(() => _gpu.Pooling.MaxForward(buffer.View, buffer.View, argmax.View, g)).Message);
        var badPadding = new PoolGeometry(1, 4, 4, 2, 2, 2);
        Assert.Contains("padding at most half", Assert.Throws<ArgumentException>(() => _gpu.Pooling.AvgForward(buffer.View, buffer.View, badPadding)).Message);
    }
}
