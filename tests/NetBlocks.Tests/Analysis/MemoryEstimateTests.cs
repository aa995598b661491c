using NetBlocks.Analysis;
using NetBlocks.Models;
using NetBlocks.Nn;

namespace NetBlocks.Tests.Analysis;

/// <summary>The memory model on nets small enough to count by hand (every number below is worked out in the comments).</summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public class MemoryEstimateTests
{
    [Fact]
    public void TinyChainIsCountedTensorByTensor()
    {
        // x (2,1,4,4)=32 → conv 3×3 p1 (2,2,4,4)=64 → relu 64 → maxpool (2,2,2,2)=16 → flatten (view) 16 → linear (2,3)=6
        var net = new Sequential(new Conv2d(1, 2, 3, padding: 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8, 3));
        var a = ModelAnalyzer.Analyze(net, [2, 1, 4, 4]);

        Assert.Equal(2 * 1 * 9 + 2 + 8 * 3 + 3, a.Params);             // 47
        Assert.Equal(2 * 2 * 4 * 4 * 1 * 9 + 2 * 8 * 3, a.Macs);        // conv 576 + linear 48
        Assert.Equal(64 + 6, a.Activations);                             // outputs of conv and linear
        var m = a.Memory;
        Assert.Equal(2, m.Batch);
        Assert.Equal(47 * 4, m.ParamsBytes);
        Assert.Equal(0, m.BuffersBytes);
        Assert.Equal(47 * 4, m.GradientsBytes);
        Assert.Equal(47 * 4, m.OptimizerBytes);
        // peak at the conv: input 32 + output 64 + im2col columns (C·K·K · OH·OW = 9·16 = 144) floats
        Assert.Equal((32 + 64 + 144) * 4, m.InferencePeakActivationBytes);
        Assert.Equal("0 (Conv2d)", m.InferencePeakAt);
        Assert.Equal(47 * 4 + 240 * 4, m.InferenceBytes);
        // saved: conv input 32, relu output 64, linear input 16 floats; maxpool argmax 16 int32
        Assert.Equal((32 + 64 + 16) * 4 + 16 * 4, m.SavedActivationBytes);
        Assert.Equal(240 * 4, m.TrainingTransientBytes);
        Assert.Equal(3 * 47 * 4 + 512 + 960, m.TrainingBytes);
    }

    [Fact]
    public void DropoutIsFreeInInferenceAndKeepsAMaskInTraining()
    {
        var net = new Sequential(new Linear(4, 8), new ReLU(), new Dropout(0.5f), new Linear(8, 2));
        var m = ModelAnalyzer.Analyze(net, [3, 4]).Memory;
        // inference: dropout is the identity; peak = relu's input + output = 2·24 floats
        Assert.Equal(2 * 24 * 4, m.InferencePeakActivationBytes);
        // training: linear1 saves x (12), relu its output (24), dropout its mask (24 floats), linear2 its input (dropout's output, 24)
        Assert.Equal((12 + 24 + 24) * 4 + 24 * 4, m.SavedActivationBytes);
    }

    [Fact]
    public void ResidualBlockHoldsItsInputUntilTheSum()
    {
        // identity shortcut, 4 channels, bottleneck 4, group width 2 (2 groups): every tensor is (1,4,2,2) = 16 floats
        var block = new ResNeXtBlock(4, groupWidth: 2, bottleneckMultiplier: 1);
        var a = ModelAnalyzer.Analyze(block, [1, 4, 2, 2]);

        Assert.Equal(20 + 76 + 20 + 3 * 8, a.Params);                   // conv1, conv2 (4·2·9+4), conv3, three BNs
        Assert.Equal(3 * 9, a.Buffers);                                  // running mean, var, num_batches_tracked
        var g = ForwardGraph.From(ShapeTrace.Run(block, [1, 4, 2, 2]), training: false);
        Assert.Equal(["conv1", "bn1", "relu", "conv2", "bn2", "relu", "conv3", "bn3", "add", "relu"],
            g.Ops.Select(o => o.Module is null ? o.Name.Split(": ")[1] : o.Module.Path));
        Assert.Contains(g.Input, g.Ops[8].Inputs);                       // the sum reads the held input
        var m = a.Memory;
        // peak at conv2: held x 16 + its input 16 + output 16 + columns (C/g·9·OH·OW = 2·9·4 = 72)
        Assert.Equal((48 + 72) * 4, m.InferencePeakActivationBytes);
        Assert.Equal("conv2 (Conv2d)", m.InferencePeakAt);
        // saved: x, conv1 out, relu1 out, conv2 out, relu2 out, conv3 out, final relu out = 7·16 floats; BN stats 3·2·4
        Assert.Equal(7 * 16 * 4 + 3 * 2 * 4 * 4, m.SavedActivationBytes);
        Assert.Equal((16 + 16 + 72) * 4, m.TrainingTransientBytes);
    }

    [Fact]
    public void ProjectionShortcutReadsTheBlockInput()
    {
        var block = new ResNeXtBlock(8, groupWidth: 4, bottleneckMultiplier: 1, useProjection: true, stride: 2);
        var g = ForwardGraph.From(ShapeTrace.Run(block, [1, 4, 6, 6]), training: true);
        var conv4 = g.Ops.Single(o => o.Module?.Path == "conv4");
        Assert.Equal([g.Input], conv4.Inputs);
        var add = g.Ops.Single(o => o.Name.EndsWith(": add", StringComparison.Ordinal));
        Assert.Equal(2, add.Inputs.Length);
        Assert.All(add.Inputs, t => Assert.Equal(8 * 3 * 3, g.TensorElements[t]));
    }

    [Fact]
    public void PlainResidualBlockRunsItsProjectionOnTheInput()
    {
        var block = new ResNetBlock(6, useProjection: true, stride: 2);
        var g = ForwardGraph.From(ShapeTrace.Run(block, [1, 3, 8, 8]), training: false);
        Assert.Equal(["conv1", "bn1", "relu", "conv2", "bn2", "conv3", "add", "relu"],
            g.Ops.Select(o => o.Module is null ? o.Name.Split(": ")[1] : o.Module.Path));
        Assert.Equal([g.Input], g.Ops[5].Inputs);
        Assert.Equal(6 * 4 * 4, g.TensorElements[g.Output]);
    }
}
