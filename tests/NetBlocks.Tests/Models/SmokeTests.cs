using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Models;

/// <summary>Every family runs forward and backward on a batch of two small inputs (train mode), and forward in eval mode.</summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class SmokeTests
{
    [Theory]
    [InlineData("vgg:1x4,1x8,fc=16", 8)]
    [InlineData("vgg-bn:1x4,2x8,fc=16,dropout=0.2", 8)]
    [InlineData("nin:div=16", 67)]
    [InlineData("nin:div=16,convs=1,mlpconv=3x3,head=fc", 67)]
    [InlineData("nin-deep11/16", 32)]
    [InlineData("alexnet:fc=16", 65)]
    [InlineData("regnetx32", 16)]
    [InlineData("regnetx32-resnet", 16)]
    [InlineData("regnetx32-4stage", 16)]
    [InlineData("vionet-bottleneck", 16)]
    [InlineData("anynet:stem=8,1x8g4b0.5,2x16g8", 8)]
    [InlineData("regnet:d=4,w0=8,wa=8,wm=2,g=8,se=0.25", 16)]
    [InlineData("regnet:d=4,w0=8,wa=8,wm=2,g=8,block=resnet,rounding=torchvision", 16)]
    public void ForwardAndBackwardRun(string spec, int size)
    {
        RandomGenerator.ManualSeed(1);
        var m = ModelZoo.CreateBuilt(spec, [2, 1, size, size]);
        var x = Tensor.Normal([2, 1, size, size]);
        var logits = m.Forward(x);
        Assert.Equal([2, 10], logits.ShapeArray);
        var loss = F.CrossEntropy(logits, [3, 7]);
        Assert.True(float.IsFinite(loss.Span[0]), $"loss {loss.Span[0]}");
        loss.Backward();
        foreach (var (name, p) in m.NamedParameters())
        {
            Assert.True(p.Grad is not null, $"no gradient reached {name}");
            foreach (var g in p.Grad!.Span) Assert.True(float.IsFinite(g), $"{name} has a non-finite gradient");
        }
        Assert.Contains(m.NamedParameters(), p => p.Parameter.Grad!.Span.ToArray().Any(g => g != 0));

        m.Eval();
        using (GradMode.NoGrad())
        {
            var y = m.Forward(x);
            Assert.Equal([2, 10], y.ShapeArray);
            Assert.All(y.Span.ToArray(), v => Assert.True(float.IsFinite(v)));
        }
    }
}
