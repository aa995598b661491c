using NetBlocks.Functional;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Nn;

/// <summary>Shape errors name the layer's path, the expected and the actual shape — from Build and from Forward alike.</summary>
public class ShapeErrorTests
{
    [Fact]
    public void WrongChannelCountNamesTheNestedLayer()
    {
        var m = new Sequential().Add("stem", new Sequential(new Conv2d(3, 8, 3, padding: 1))).Add("stage1", new Sequential(new Conv2d(8, 8, 3)));
        var e = Assert.Throws<ShapeException>(() => m.Forward(Tensor.Zeros(2, 1, 8, 8)));
        Assert.Equal("stem.0 (Conv2d): conv2d: expected input with 3 channels (N, 3, H, W), got (2, 1, 8, 8)", e.Message);
        var b = Assert.Throws<ShapeException>(() => m.Build(2, 1, 8, 8));
        Assert.Equal(e.Message, b.Message);
    }

    [Fact]
    public void ResNeXtInnerConvolutionIsNamedByItsFullPath()
    {
        var m = new Sequential().Add("stage2", new Sequential(new ResNeXtBlock(16, 4, 1, useProjection: true, stride: 2)));
        m.Build(1, 8, 8, 8);
        var e = Assert.Throws<ShapeException>(() => m.Forward(Tensor.Zeros(1, 12, 8, 8)));
        Assert.StartsWith("stage2.0.conv1 (Conv2d): conv2d: expected input with 8 channels", e.Message);
        Assert.EndsWith("got (1, 12, 8, 8)", e.Message);
    }

    [Fact]
    public void InputSmallerThanTheKernel()
    {
        var e = Assert.Throws<ShapeException>(() => new Sequential(new Conv2d(1, 4, 5)).Build(1, 1, 3, 3));
        Assert.Equal("0 (Conv2d): conv2d: input (1, 1, 3, 3) padded by 0 is smaller than the 5×5 kernel", e.Message);
    }

    [Fact]
    public void SpatialSizeCollapsingToZero()
    {
        var m = new Sequential(new MaxPool2d(2), new MaxPool2d(2), new MaxPool2d(2));
        var e = Assert.Throws<ShapeException>(() => m.Build(1, 1, 4, 4));
        Assert.Equal("2 (MaxPool2d): max_pool2d: input (1, 1, 1, 1) padded by 0 is smaller than the 2×2 window", e.Message);
    }

    [Fact]
    public void MismatchedLinearInFeatures()
    {
        var m = new Sequential(new Flatten(), new Linear(6272, 10));
        var e = Assert.Throws<ShapeException>(() => m.Forward(Tensor.Zeros(2, 1, 28, 28)));
        Assert.Equal("1 (Linear): expected input (N, 6272), got (2, 784)", e.Message);
    }

    [Fact]
    public void LabelsOutOfRange()
    {
        var e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Zeros(3, 10), [1, 12, 0]));
        Assert.Equal("cross_entropy: label 12 at index 1 is out of range: the logits have 10 classes, labels must be in [0, 9]", e.Message);
        Assert.Contains("2 labels for a batch of 3 logits", Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Zeros(3, 10), [1, 2])).Message);
    }

    [Fact]
    public void BatchNormNeedsMoreThanOneValuePerChannelWhenTraining()
    {
        var e = Assert.Throws<ShapeException>(() => new BatchNorm2d(4).Forward(Tensor.Zeros(1, 4, 1, 1)));
        Assert.Contains("expected more than 1 value per channel when training, got input (1, 4, 1, 1)", e.Message);
    }
}
