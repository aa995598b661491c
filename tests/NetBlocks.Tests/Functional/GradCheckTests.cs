using NetBlocks.Functional;
using NetBlocks.Tensors;
using NetBlocks.Tests.Support;
using static NetBlocks.Tests.Support.GradCheck;

namespace NetBlocks.Tests.Functional;

/// <summary>Every differentiable op against central finite differences.</summary>
public class GradCheckTests
{
    [Theory]
    [InlineData(1, 3, 5, 5, 4, 3, 1, 1, 1)]
    [InlineData(2, 4, 7, 6, 6, 3, 2, 1, 2)]
    [InlineData(2, 3, 6, 6, 3, 1, 1, 0, 1)]
    [InlineData(1, 4, 9, 7, 4, 3, 2, 0, 4)]
    [InlineData(2, 2, 5, 5, 2, 5, 3, 2, 1)]
    public void Conv2d(int n, int c, int h, int w, int oc, int k, int s, int p, int g) => Check(
        t => F.Conv2d(t[0], t[1], t[2], s, p, g),
        [Randn(1, n, c, h, w), Randn(2, oc, c / g, k, k), Randn(3, oc)]);

    [Fact]
    public void Linear() => Check(t => F.Linear(t[0], t[1], t[2]), [Randn(1, 3, 5), Randn(2, 4, 5), Randn(3, 4)]);

    [Fact]
    public void MatMul() => Check(t => F.MatMul(t[0], t[1]), [Randn(1, 3, 5), Randn(2, 5, 2)]);

    [Fact]
    public void Transpose() => Check(t => F.Transpose(t[0]), [Randn(1, 3, 5)]);

    [Fact]
    public void Relu() => Check(t => F.Relu(t[0]), [Distinct([2, 3, 4])]);

    [Fact]
    public void Sigmoid() => Check(t => F.Sigmoid(t[0]), [Randn(1, 2, 3, 4)]);

    [Theory]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    public void MaxPool2d(int k, int s, int p) => Check(t => F.MaxPool2d(t[0], k, s, p), [Distinct([2, 2, 7, 6])]);

    [Theory]
    [InlineData(2, 2, 0)]
    [InlineData(3, 1, 1)]
    public void AvgPool2d(int k, int s, int p) => Check(t => F.AvgPool2d(t[0], k, s, p), [Randn(1, 2, 2, 6, 7)]);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(2, 4)]
    public void AdaptiveAvgPool2d(int oh, int ow) => Check(t => F.AdaptiveAvgPool2d(t[0], oh, ow), [Randn(1, 2, 3, 5, 7)]);

    [Fact]
    public void BatchNorm2dTraining() => Check(
        t => F.BatchNorm2d(t[0], null, null, t[1], t[2], training: true),
        [Randn(1, 3, 2, 3, 3), Randn(2, 2), Randn(3, 2)], eps: 1e-2, rtol: 3e-2, atol: 5e-3);

    [Fact]
    public void BatchNorm2dEval()
    {
        var rm = Tensor.FromArray([0.1f, -0.2f], 2);
        var rv = Tensor.FromArray([0.5f, 2f], 2);
        Check(t => F.BatchNorm2d(t[0], rm, rv, t[1], t[2], training: false), [Randn(1, 2, 2, 3, 3), Randn(2, 2), Randn(3, 2)]);
    }

    [Fact]
    public void LogSoftmax() => Check(t => F.LogSoftmax(t[0]), [Randn(1, 3, 5)]);

    [Fact]
    public void CrossEntropy() => Check(t => F.CrossEntropy(t[0], [1, 0, 4]), [Randn(1, 3, 5)]);

    [Theory]
    [InlineData(new[] { 2, 3, 4, 4 }, new[] { 1, 3, 1, 1 })]
    [InlineData(new[] { 2, 3, 4, 4 }, new[] { 2, 3, 1, 1 })]
    [InlineData(new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 3, 1 }, new[] { 1, 4 })]
    public void BroadcastArithmetic(int[] a, int[] b)
    {
        Check(t => t[0] + t[1], [Randn(1, a), Randn(2, b)]);
        Check(t => t[0] - t[1], [Randn(1, a), Randn(2, b)]);
        Check(t => t[0] * t[1], [Randn(1, a), Randn(2, b)]);
        Check(t => t[0] / t[1], [Randn(1, a), Distinct(b, gap: 0.3f, offset: 3f)]);
    }

    [Fact]
    public void SameTensorUsedTwiceAccumulates() => Check(t => t[0] * t[0] + t[0], [Randn(1, 2, 3)]);

    [Fact]
    public void ScalarAffine() => Check(t => 2.5f * t[0] - 1f, [Randn(1, 2, 3)]);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void ReductionsAlongADimension(int dim)
    {
        Check(t => F.Sum(t[0], dim), [Randn(1, 2, 3, 4)]);
        Check(t => F.Mean(t[0], dim, keepDim: true), [Randn(1, 2, 3, 4)]);
        Check(t => F.Max(t[0], dim), [Distinct([2, 3, 4])]);
    }

    [Fact]
    public void FullReductions()
    {
        Check(t => F.Sum(t[0]), [Randn(1, 2, 3)]);
        Check(t => F.Mean(t[0]), [Randn(1, 2, 3)]);
    }

    [Fact]
    public void ReshapeAndFlatten()
    {
        Check(t => F.Reshape(t[0], 3, -1), [Randn(1, 2, 3, 2)]);
        Check(t => F.Flatten(t[0]), [Randn(1, 2, 3, 2)]);
    }

    [Fact]
    public void DropoutWithAFixedMask() =>
        Check(t => F.Dropout(t[0], 0.3f, training: true, generator: new RandomGenerator(5)), [Randn(1, 4, 6)]);
}
