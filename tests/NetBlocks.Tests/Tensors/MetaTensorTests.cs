using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Tensors;

/// <summary>Meta tensors (issue #11): a shape without elements, and ops that check shapes and compute nothing on them.</summary>
public class MetaTensorTests
{
    [Fact]
    public void AMetaTensorHasAShapeAndNoElements()
    {
        foreach (var t in new[] { Tensor.Meta(2, 3), Tensor.Empty([2, 3], Device.Meta) })
        {
            Assert.True(t.IsMeta);
            Assert.Equal(Device.Meta, t.Device);
            Assert.Equal([2, 3], t.Shape.ToArray());
            Assert.Equal(6, t.Numel);
            foreach (var read in new Action[] { () => _ = t.Span.Length, () => t.ToArray(), () => _ = t.Memory.Length, () => t.Clone().ToArray() })
                Assert.Equal("a meta tensor has a shape and no elements: shape (2, 3) on device meta cannot be read or written " +
                    "(meta tensors are for shape passes; run the model on a CPU tensor to compute values)",
                    Assert.Throws<InvalidOperationException>(read).Message);
            Assert.StartsWith("a meta tensor has a shape and no elements", Assert.Throws<InvalidOperationException>(() => Tensor.Meta(1).Item()).Message);
            Assert.Equal("tensor(..., device='meta', shape=(2, 3))", t.ToString());
        }
        Assert.False(Tensor.Empty([2, 3], Device.Cpu).IsMeta);
    }

    [Fact]
    public void ReleasingAMetaTensorDoesNothing()
    {
        var t = Tensor.Meta(4, 4);
        t.Release();
        Module.Done(t);
        Assert.False(t.IsReleased);
        Assert.Equal([4, 4], F.Relu(t).Shape.ToArray());
    }

    [Fact]
    public void AMetaTensorMayBeLargerThanAnArrayButItsElementCountSaysSo()
    {
        var t = Tensor.Meta(1, 16, 32768, 32768);
        Assert.Equal("shape (1, 16, 32768, 32768) has 17,179,869,184 elements, more than a tensor holds (2,147,483,591)",
            Assert.Throws<ArgumentException>(() => t.Numel).Message);
        Assert.Equal("shape (65536, 65536, 65536, 65536) has more elements than a 64-bit count holds",
            Assert.Throws<ArgumentException>(() => Tensor.Meta(65536, 65536, 65536, 65536)).Message);
        Assert.Equal("negative dimension in shape (2, -1)", Assert.Throws<ArgumentException>(() => Tensor.Meta(2, -1)).Message);
    }

    [Fact]
    public void OpsGiveMetaOutputsOfTheShapesTheyWouldCompute()
    {
        var w = Tensor.Zeros(8, 2, 3, 3);
        var x = Tensor.Meta(4, 4, 10, 10);
        var y = F.Conv2d(x, w, Tensor.Zeros(8), stride: 2, padding: 1, groups: 2);
        Assert.True(y.IsMeta);
        Assert.Equal([4, 8, 5, 5], y.Shape.ToArray());
        Assert.Equal([4, 8, 2, 2], F.MaxPool2d(y, 2).Shape.ToArray());
        Assert.Equal([4, 8, 2, 2], F.AvgPool2d(y, 2).Shape.ToArray());
        Assert.Equal([4, 8, 1, 1], F.AdaptiveAvgPool2d(y, 1, 1).Shape.ToArray());
        Assert.Equal([4, 8, 5, 5], F.Mul(y, Tensor.Meta(4, 8, 1, 1)).Shape.ToArray());
        Assert.Equal([4, 8, 5, 5], F.Add(Tensor.Zeros(1, 8, 1, 1), y).Shape.ToArray());
        var flat = F.Flatten(y, 1);
        Assert.True(flat.IsMeta);
        Assert.Equal([4, 200], flat.Shape.ToArray());
        Assert.Equal([4, 3], F.Linear(flat, Tensor.Zeros(3, 200), Tensor.Zeros(3)).Shape.ToArray());
        Assert.Equal([4, 3], F.LogSoftmax(Tensor.Meta(4, 3)).Shape.ToArray());
        Assert.Equal([4, 5], F.MatMul(Tensor.Meta(4, 3), Tensor.Zeros(3, 5)).Shape.ToArray());
        Assert.Equal([5, 4], F.Transpose(Tensor.Meta(4, 5)).Shape.ToArray());
        Assert.Equal([4], F.Sum(Tensor.Meta(4, 5), 1).Shape.ToArray());
        Assert.Equal([4, 1], F.Max(Tensor.Meta(4, 5), 1, keepDim: true).Shape.ToArray());
        Assert.Empty(F.Mean(Tensor.Meta(4, 5)).Shape.ToArray());
        Assert.Empty(F.CrossEntropy(Tensor.Meta(2, 3), [0, 2]).Shape.ToArray());
        Assert.True((Tensor.Meta(2, 2) * 3f).IsMeta);
        Assert.True(F.Sigmoid(Tensor.Meta(2, 2)).IsMeta);
        Assert.True(F.ReluConsuming(Tensor.Meta(2, 2)).IsMeta);
    }

    [Fact]
    public void OpsCheckMetaShapesWithTheMessagesTheyGiveForRealTensors()
    {
        var w = Tensor.Zeros(8, 3, 3, 3);
        string Message(Func<Tensor> op) => Assert.Throws<ArgumentException>(op).Message;
        Assert.Equal(Message(() => F.Conv2d(Tensor.Zeros(1, 2, 8, 8), w)), Message(() => F.Conv2d(Tensor.Meta(1, 2, 8, 8), w)));
        Assert.Equal("conv2d: expected input with 3 channels (N, 3, H, W), got (1, 2, 8, 8)", Message(() => F.Conv2d(Tensor.Meta(1, 2, 8, 8), w)));
        Assert.Equal(Message(() => F.MaxPool2d(Tensor.Zeros(1, 1, 1, 1), 2)), Message(() => F.MaxPool2d(Tensor.Meta(1, 1, 1, 1), 2)));
        Assert.Equal(Message(() => F.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(3, 5))), Message(() => F.Linear(Tensor.Meta(2, 4), Tensor.Zeros(3, 5))));
        Assert.Equal(Message(() => F.Add(Tensor.Zeros(2, 3), Tensor.Zeros(4, 3))), Message(() => F.Add(Tensor.Meta(2, 3), Tensor.Meta(4, 3))));
        Assert.Equal(Message(() => F.CrossEntropy(Tensor.Zeros(2, 3), [0, 3])), Message(() => F.CrossEntropy(Tensor.Meta(2, 3), [0, 3])));
    }

    [Fact]
    public void AMetaForwardLeavesStatisticsAndGeneratorsAsTheyWere()
    {
        var mean = Tensor.Zeros(3); var variance = Tensor.Ones(3);
        var y = F.BatchNorm2d(Tensor.Meta(1, 3, 1, 1), mean, variance, Tensor.Ones(3), Tensor.Zeros(3), training: true);
        Assert.Equal([1, 3, 1, 1], y.Shape.ToArray());   // one value per channel: a shape pass does not need statistics
        Assert.Equal([0f, 0f, 0f], mean.ToArray());
        Assert.Equal([1f, 1f, 1f], variance.ToArray());

        var g = new RandomGenerator(7);
        Assert.True(F.Dropout(Tensor.Meta(100), 0.5f, training: true, g).IsMeta);
        Assert.Equal(new RandomGenerator(7).NextUInt64(), g.NextUInt64());
    }
}
