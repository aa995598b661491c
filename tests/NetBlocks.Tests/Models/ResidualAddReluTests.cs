using NetBlocks.Analysis;
using NetBlocks.Functional;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;
using static NetBlocks.Tests.Support.GradCheck;

namespace NetBlocks.Tests.Models;

/// <summary>
/// The residual blocks run their sum and ReLU as one op (F.AddReluConsuming): their outputs, the input's and every
/// parameter's gradient equal the unfused composition of the same modules, relu(add(…)) in the source's operand order,
/// bit for bit, in training and in evaluation; a shape pass still sees every declared module.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public class ResidualAddReluTests
{
    private static Module Child(Module m, string name) => m.Children.First(c => c.Name == name).Module;

    private static Module? ChildOrNull(Module m, string name) => m.Children.FirstOrDefault(c => c.Name == name).Module;

    /// <summary>d2l's ResNeXt block and Residual: relu(body(x) + shortcut(x)), step by step from the children.</summary>
    private static Tensor UnfusedResNeXt(Module b, Tensor x)
    {
        var h = F.Relu(Child(b, "bn1").Forward(Child(b, "conv1").Forward(x)));
        h = F.Relu(Child(b, "bn2").Forward(Child(b, "conv2").Forward(h)));
        var y = Child(b, "bn3").Forward(Child(b, "conv3").Forward(h));
        var s = ChildOrNull(b, "conv4") is { } conv4 ? Child(b, "bn4").Forward(conv4.Forward(x)) : x;
        return F.Relu(F.Add(y, s));
    }

    private static Tensor UnfusedResNet(Module b, Tensor x)
    {
        var y = Child(b, "bn2").Forward(Child(b, "conv2").Forward(F.Relu(Child(b, "bn1").Forward(Child(b, "conv1").Forward(x)))));
        var s = ChildOrNull(b, "conv3") is { } conv3 ? conv3.Forward(x) : x;
        return F.Relu(F.Add(y, s));
    }

    /// <summary>torchvision's blocks: activation(proj(x) + f(x)) with the declared modules.</summary>
    private static Tensor UnfusedTorchvision(Module b, Tensor x)
    {
        var y = Child(b, "f").Forward(x);
        var s = ChildOrNull(b, "proj") is { } proj ? proj.Forward(x) : x;
        return Child(b, "activation").Forward(F.Add(s, y));
    }

    public static IEnumerable<object[]> Blocks() =>
    [
        ["resnext", 8, 1],
        ["resnext-projection", 6, 2],
        ["resnet", 6, 1],
        ["resnet-projection", 4, 2],
        ["bottleneck", 8, 1],
        ["bottleneck-projection", 6, 2],
        ["bottleneck-se", 8, 1],
        ["basic", 6, 1],
        ["basic-projection", 4, 2],
    ];

    private static (Module Block, Func<Module, Tensor, Tensor> Unfused) Make(string kind, int channels, int stride) => kind switch
    {
        "resnext" => (new ResNeXtBlock(channels, 4, 1.0), UnfusedResNeXt),
        "resnext-projection" => (new ResNeXtBlock(8, 4, 1.0, useProjection: true, stride: stride), UnfusedResNeXt),
        "resnet" => (new ResNetBlock(channels), UnfusedResNet),
        "resnet-projection" => (new ResNetBlock(8, useProjection: true, stride: stride), UnfusedResNet),
        "bottleneck" => (new ResBottleneckBlock(channels, channels, 1, 4), UnfusedTorchvision),
        "bottleneck-projection" => (new ResBottleneckBlock(channels, 8, stride, 4), UnfusedTorchvision),
        "bottleneck-se" => (new ResBottleneckBlock(channels, channels, 1, 4, seRatio: 0.25), UnfusedTorchvision),
        "basic" => (new ResBasicBlock(channels, channels, 1), UnfusedTorchvision),
        "basic-projection" => (new ResBasicBlock(channels, 8, stride), UnfusedTorchvision),
        _ => throw new ArgumentException(kind),
    };

    private sealed record Pass(float[] Y, float[] Dx, List<(string Name, float[] Grad)> Grads);

    private static Pass Run(Module block, Func<Tensor, Tensor> forward, int[] shape)
    {
        foreach (var p in block.Parameters()) p.Grad = null;
        var x = Randn(31, shape);
        x.RequiresGrad = true;
        var y = forward(x);
        var values = y.ToArray();
        (y * Randn(32, y.ShapeArray)).Sum().Backward();
        return new Pass(values, x.Grad!.ToArray(), block.NamedParameters().Select(p => (p.Name, p.Parameter.Grad!.ToArray())).ToList());
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void OutputsAndGradientsEqualTheUnfusedComposition(string kind, int channels, int stride)
    {
        RandomGenerator.ManualSeed(5);
        var (block, unfused) = Make(kind, channels, stride);
        int[] shape = [3, channels, 7, 7];
        block.Build(shape);
        // A gamma of 1 and beta of 0 leave about half of the sum negative; random ones make sure the ReLU cuts.
        foreach (var (name, p) in block.NamedParameters()) p.CopyFrom(Randn((ulong)name.Length + 40, p.ShapeArray).ToArray());

        var fused = Run(block, block.Forward, shape);
        var reference = Run(block, x => unfused(block, x), shape);
        Assert.Contains(0f, fused.Y);
        Assert.Equal(reference.Y, fused.Y);
        Assert.Equal(reference.Dx, fused.Dx);
        foreach (var ((name, expected), (_, actual)) in reference.Grads.Zip(fused.Grads))
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{kind}: the gradient of {name} differs");

        block.Eval();
        var x = Randn(33, shape);
        using (NetBlocks.Autograd.GradMode.NoGrad())
            Assert.Equal(unfused(block, x).ToArray(), block.Forward(x).ToArray());
    }

    [Fact]
    public void AShapePassStillSeesTheActivationModuleAndTheProfileTheFusedOp()
    {
        RandomGenerator.ManualSeed(6);
        var block = new ResBottleneckBlock(4, 4, 1, 2);
        var trace = ShapeTrace.Run(block, [2, 4, 5, 5]);
        Assert.Contains("activation", trace.Calls.Select(c => c.Module.Path));

        using var context = new ExecutionContext(threads: 1);
        context.Profiler.Enabled = true;
        using (context.Enter())
        using (NetBlocks.Autograd.GradMode.NoGrad())
            block.Eval().Forward(Randn(34, 2, 4, 5, 5));
        var ops = context.Profiler.Snapshot().ToDictionary(o => o.Op, o => o.Calls);
        Assert.Equal(1, ops["AddRelu"]);
        Assert.DoesNotContain("Binary", ops.Keys);
    }

    [Fact]
    public void TheResidualShapeCheckKeepsItsMessage()
    {
        var block = new ResNeXtBlock(4, 2, 1.0, stride: 2);           // stride 2 without a projection
        var e = Assert.ThrowsAny<ArgumentException>(() => block.Build(1, 4, 6, 6));
        Assert.Contains("residual branch (1, 4, 3, 3) and shortcut (1, 4, 6, 6) differ: use a projection (use_1x1conv) when the stride or channel count changes", e.Message);
    }
}
