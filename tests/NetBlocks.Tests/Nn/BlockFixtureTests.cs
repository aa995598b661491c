using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Nn;

/// <summary>Multi-layer blocks against PyTorch: outputs, input and parameter gradients, running statistics.</summary>
public class BlockFixtureTests
{
    [Fact]
    public void VggBlockMatchesPyTorch() => TorchCheck.Module("vgg_block", new Sequential(
        Conv2d.Lazy(8, 3, padding: 1), new ReLU(), Conv2d.Lazy(8, 3, padding: 1), new ReLU(), new MaxPool2d(2, 2)));

    [Fact]
    public void ResNeXtBlockWithGroupsAndProjectionMatchesPyTorch() =>
        // conv biases feed batch norms, so their true gradient is 0: PyTorch's values are float noise (~1e-6)
        TorchCheck.Module("resnext_block", new ResNeXtBlock(16, groupWidth: 4, bottleneckMultiplier: 1, useProjection: true, stride: 2), gradAtol: 1e-4);
}
