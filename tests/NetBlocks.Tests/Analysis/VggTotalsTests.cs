using NetBlocks.Analysis;

namespace NetBlocks.Tests.Analysis;

/// <summary>VGG-11 at 1×1×224×224 (seed 000's layer_summary) against the formulas worked by hand.</summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public class VggTotalsTests
{
    private static ModelAnalysis Vgg11 => ModelAnalyzerFixtureTests.Analysis("vgg11_224");

    [Fact]
    public void ParametersAndMacsFollowTheFormulas()
    {
        // (input side, in channels, out channels) of the eight 3×3 convolutions; each block halves the side
        (int Side, int In, int Out)[] convs =
            [(224, 1, 64), (112, 64, 128), (56, 128, 256), (56, 256, 256), (28, 256, 512), (28, 512, 512), (14, 512, 512), (14, 512, 512)];
        (int In, int Out)[] fcs = [(512 * 7 * 7, 4096), (4096, 4096), (4096, 10)];
        long convParams = convs.Sum(c => (long)c.In * c.Out * 9 + c.Out);
        long fcParams = fcs.Sum(f => (long)f.In * f.Out + f.Out);
        long convMacs = convs.Sum(c => (long)c.Side * c.Side * c.Out * c.In * 9);
        long fcMacs = fcs.Sum(f => (long)f.In * f.Out);

        Assert.Equal(9_219_328, convParams);
        Assert.Equal(119_586_826, fcParams);
        Assert.Equal(128_806_154, Vgg11.Params);
        Assert.Equal(convParams, Vgg11.ConvParams);
        Assert.Equal(fcParams, Vgg11.FcParams);
        Assert.Equal(7_427_653_632, convMacs);
        Assert.Equal(convMacs, Vgg11.ConvMacs);
        Assert.Equal(fcMacs, Vgg11.FcMacs);
        Assert.Equal(7_547_232_256, Vgg11.Macs);
        Assert.Equal(2 * 7_547_232_256, Vgg11.Flops);
    }

    [Fact]
    public void DepthOneRowsAreTheSeedsLayerSummary()
    {
        // seed 000/001: VGG(arch=((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))).layer_summary((1, 1, 224, 224))
        string[] seed =
        [
            "Sequential output shape: torch.Size([1, 64, 112, 112])",
            "Sequential output shape: torch.Size([1, 128, 56, 56])",
            "Sequential output shape: torch.Size([1, 256, 28, 28])",
            "Sequential output shape: torch.Size([1, 512, 14, 14])",
            "Sequential output shape: torch.Size([1, 512, 7, 7])",
            "Flatten output shape: torch.Size([1, 25088])",
            "Linear output shape: torch.Size([1, 4096])",
            "ReLU output shape: torch.Size([1, 4096])",
            "Dropout output shape: torch.Size([1, 4096])",
            "Linear output shape: torch.Size([1, 4096])",
            "ReLU output shape: torch.Size([1, 4096])",
            "Dropout output shape: torch.Size([1, 4096])",
            "Linear output shape: torch.Size([1, 10])",
        ];
        var rows = Vgg11.LayersToDepth(1).Select(l => $"{l.Type} output shape: torch.Size([{string.Join(", ", l.Output!)}])");
        Assert.Equal(seed, rows);
        // the 8 convolutions the summary does not show are inside the five Sequential blocks
        Assert.Equal([1, 1, 2, 2, 2], Vgg11.Layers.Where(l => l.Depth == 1 && l.Type == "Sequential")
            .Select(b => Vgg11.Layers.Count(l => l.Type == "Conv2d" && l.Name.StartsWith(b.Name + ".", StringComparison.Ordinal))));
    }
}
