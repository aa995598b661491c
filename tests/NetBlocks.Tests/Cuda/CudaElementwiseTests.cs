using NetBlocks.Cuda;
using NetBlocks.Kernels;

namespace NetBlocks.Tests.Cuda;

/// <summary>The elementwise kernels on the CPU accelerator against the engine's CPU <see cref="Elementwise"/>.</summary>
[Collection(CudaCollection.Name)]
public class CudaElementwiseTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;
    private const int Length = 37;

    [Fact]
    public void ReluAndItsGradientMatchTheCpu()
    {
        var x = CudaAssert.Random(Length, 50);
        x[3] = 0f;
        var dy = CudaAssert.Random(Length, 51);
        var y = new float[Length]; var dx = new float[Length];
        Elementwise.Relu(x, y);
        Elementwise.ReluBackward(y, dy, dx);

        using var dX = _gpu.Upload(x);
        using var dY = _gpu.Rent<float>(Length);
        using var dDy = _gpu.Upload(dy);
        using var dDx = _gpu.Rent<float>(Length);
        _gpu.Elementwise.Relu(dX.View, dY.View);
        _gpu.Elementwise.ReluBackward(dY.View, dDy.View, dDx.View);
        Assert.Equal(y, dY.Download());
        Assert.Equal(dx, dDx.Download());
    }

    [Fact]
    public void ArithmeticMatchesTheCpu()
    {
        var x = CudaAssert.Random(Length, 52);
        var y = CudaAssert.Random(Length, 53);
        var sum = new float[Length]; var product = new float[Length]; var affine = new float[Length];
        Elementwise.Add(x, y, sum);
        Elementwise.Multiply(x, y, product);
        Elementwise.Affine(x, 1.5f, -0.25f, affine);
        var accumulated = (float[])y.Clone();
        Elementwise.AddInPlace(accumulated, x);
        var scaled = (float[])y.Clone();
        Elementwise.AddScaled(scaled, -0.75f, x);

        using var dX = _gpu.Upload(x);
        using var dY = _gpu.Upload(y);
        using var dOut = _gpu.Rent<float>(Length);
        _gpu.Elementwise.Add(dX.View, dY.View, dOut.View);
        CudaAssert.Close(sum, dOut.Download(), "add");
        _gpu.Elementwise.Multiply(dX.View, dY.View, dOut.View);
        CudaAssert.Close(product, dOut.Download(), "multiply");
        _gpu.Elementwise.Affine(dX.View, 1.5f, -0.25f, dOut.View);
        CudaAssert.Close(affine, dOut.Download(), "affine");
        _gpu.Elementwise.Copy(dY.View, dOut.View);
        _gpu.Elementwise.Accumulate(dOut.View, dX.View);
        CudaAssert.Close(accumulated, dOut.Download(), "accumulate");
        _gpu.Elementwise.Copy(dY.View, dOut.View);
        _gpu.Elementwise.AddScaled(dOut.View, -0.75f, dX.View);
        CudaAssert.Close(scaled, dOut.Download(), "add scaled");
        _gpu.Elementwise.Fill(dOut.View, 2.5f);
        Assert.All(dOut.Download(), v => Assert.Equal(2.5f, v));
    }

    [Fact]
    public void ViewsOfDifferentLengthsAreRejected()
    {
        using var a = _gpu.Rent<float>(4);
        using var b = _gpu.Rent<float>(5);
        Assert.Contains("views of 5 and 4 elements", Assert.Throws<ArgumentException>(() => _gpu.Elementwise.Add(a.View, b.View, a.View)).Message);
    }
}
