using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void CreationFillsAndShapes()
    {
        Assert.Equal(new float[6], Tensor.Zeros(2, 3).ToArray());
        Assert.All(Tensor.Ones(4).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Tensor.Full([2, 2], 7f).ToArray(), v => Assert.Equal(7f, v));
        Assert.Equal([0f, 1f, 2f, 3f], Tensor.Arange(4).ToArray());
        Assert.Equal([1f, 1.5f, 2f], Tensor.Arange(1f, 2.25f, 0.5f).ToArray());
        var t = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Assert.Equal([2, 3], t.Shape.ToArray());
        Assert.Equal(6f, t[1, 2]);
        Assert.Equal(0, Tensor.Scalar(3f).Rank);
        Assert.Equal(3f, Tensor.Scalar(3f).Item());
    }

    [Fact]
    public void BadShapesAreExplained()
    {
        Assert.Contains("5 values cannot have shape (2, 3)", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3)).Message);
        Assert.Contains("cannot reshape a tensor of shape (2, 3) (6 elements) to (4, 2)",
            Assert.ThrowsAny<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(4, 2)).Message);
        Assert.Contains("shapes (2, 3) and (4,) cannot be broadcast together",
            Assert.ThrowsAny<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4)).Message);
        Assert.Contains("Item() needs a tensor with one element", Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2).Item()).Message);
    }

    [Fact]
    public void SeededSamplingIsReproducibleAndHasTheRightMoments()
    {
        var a = Tensor.Normal([20000], 1f, 2f, new RandomGenerator(42));
        var b = Tensor.Normal([20000], 1f, 2f, new RandomGenerator(42));
        Assert.Equal(a.ToArray(), b.ToArray());
        var s = a.ToArray();
        double mean = s.Average(v => (double)v), sd = Math.Sqrt(s.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, 0.95, 1.05);
        Assert.InRange(sd, 1.95, 2.05);
        var u = Tensor.Uniform([20000], -1f, 3f, new RandomGenerator(1)).ToArray();
        Assert.All(u, v => Assert.InRange(v, -1f, 3f));
        Assert.InRange(u.Average(v => (double)v), 0.95, 1.05);
    }

    [Fact]
    public void GeneratorStateRoundTrips()
    {
        var g = new RandomGenerator(9);
        g.NextNormal();
        var state = g.GetState();
        var expected = Enumerable.Range(0, 5).Select(_ => g.NextNormal()).ToArray();
        var h = new RandomGenerator(0);
        h.SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => h.NextNormal()).ToArray());
    }

    [Fact]
    public void ViewsShareValuesAndFlattenKeepsTheBatch()
    {
        var t = Tensor.Arange(24).Reshape(2, 3, 4);
        Assert.Equal([2, 12], F.Flatten(t).Shape.ToArray());
        Assert.Equal([6, 4], t.Reshape(-1, 4).Shape.ToArray());
        Assert.Equal([24], t.Flatten().Shape.ToArray());
        var tr = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3).T();
        Assert.Equal([3, 2], tr.Shape.ToArray());
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], tr.ToArray());
    }

    [Fact]
    public void ArithmeticBroadcastsLikeNumPy()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        var b = Tensor.FromArray([10f, 20f, 30f], 3);
        Assert.Equal([10f, 21f, 32f, 13f, 24f, 35f], (x + b).ToArray());
        var col = Tensor.FromArray([2f, 3f], 2, 1);
        Assert.Equal([0f, 2f, 4f, 9f, 12f, 15f], (x * col).ToArray());
        Assert.Equal([-10f, -19f, -28f, -7f, -16f, -25f], (x - b).ToArray());
        Assert.Equal([0f, 0.5f, 1f, 1f, 4f / 3f, 5f / 3f], (x / col).ToArray());
    }

    [Fact]
    public void ReductionsAndArgMax()
    {
        var x = Tensor.FromArray([1f, 5f, 3f, 9f, 2f, 9f], 2, 3);
        Assert.Equal(29f, x.Sum().Item());
        Assert.Equal(29f / 6f, x.Mean().Item(), 1e-6f);
        Assert.Equal([10f, 7f, 12f], x.Sum(0).ToArray());
        Assert.Equal([3f, 20f / 3f], x.Mean(1).ToArray());
        Assert.Equal([5f, 9f], x.Max(1).ToArray());
        Assert.Equal([1, 0], x.ArgMax(1).ToInt32Array()); // first maximum wins, as torch.argmax
        Assert.Equal([2, 1], x.Sum(1, keepDim: true).Shape.ToArray());
        Assert.Equal(9f, F.MaxValue(x));
    }

    [Fact]
    public void MatMulMatchesScalarProducts()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var b = Tensor.FromArray([7f, 8f, 9f, 10f, 11f, 12f], 3, 2);
        Assert.Equal([58f, 64f, 139f, 154f], a.MatMul(b).ToArray());
        Assert.Contains("cannot multiply shapes (2, 3) and (2, 3)", Assert.Throws<ArgumentException>(() => a.MatMul(a)).Message);
    }

    [Fact]
    public void PrintsLikePyTorch()
    {
        Assert.Equal("(2, 3)", ShapeUtil.Format([2, 3]));
        Assert.Equal("(5,)", ShapeUtil.Format([5]));
        Assert.Equal("tensor([1, 2], shape=(2,))", Tensor.FromArray([1f, 2f], 2).ToString());
    }
}
