using NetBlocks.Analysis;
using NetBlocks.Kernels;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Tests.Cli;

namespace NetBlocks.Tests.Analysis;

/// <summary>
/// Issue #10, item 2: sizes are computed in checked 64-bit arithmetic. A shape a tensor cannot hold is an error naming
/// the layer and the size, never a count that wrapped around (a small VGG at 32768×32768 used to report a Flatten of
/// [1, 0], a 16-parameter classifier and exit code 0).
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public class SizeArithmeticTests
{
    [Fact]
    public void AnOutputLargerThanATensorIsAnErrorNamingTheLayerNotAWrappedFlatten()
    {
        using var _ = ParameterDevice.Use(Device.Meta);
        var model = ModelZoo.Create("vgg:1x16");
        var e = Assert.Throws<ShapeException>(() => ModelAnalyzer.Analyze(model, [1, 1, 32768, 32768], "vgg:1x16"));
        Assert.Equal("0.0 (Conv2d): output (1, 16, 32768, 32768) has 17,179,869,184 elements, more than a tensor holds (2,147,483,591)", e.Message);
    }

    [Fact]
    public void AnInputLargerThanATensorIsRefusedAtTheRootBeforeAnyLayerIsBuilt()
    {
        var model = ModelZoo.Create("vgg:1x16");
        var e = Assert.Throws<ShapeException>(() => model.Build(1, 1, 65536, 65536));
        Assert.Equal("Sequential: input (1, 1, 65536, 65536) has 4,294,967,296 elements, more than a tensor holds (2,147,483,591)", e.Message);
        Assert.False(model.IsMaterialized);
    }

    [Fact]
    public void SummaryOfAHugeInputPrintsTheErrorAndFails()
    {
        var (code, output, error) = CliRunner.Run("summary", "vgg:1x16", "--input", "1,32768,32768");
        Assert.NotEqual(0, code);
        Assert.Equal("", output);
        Assert.Contains("0.0 (Conv2d): output (1, 16, 32768, 32768) has 17,179,869,184 elements, more than a tensor holds", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void LargeHoldableInputsGetExact64BitCounts()
    {
        // NiN at 1×8000×8000: the first convolution alone makes 96·1999² outputs of 11·11 MACs each, over 2^32 MACs.
        using var _ = ParameterDevice.Use(Device.Meta);
        var a = ModelAnalyzer.Analyze(ModelZoo.Create("nin"), [1, 1, 8000, 8000], "nin");
        var first = a.Layers.First(l => l.Name == "0.0");
        Assert.Equal([1, 96, 1998, 1998], first.Output!);
        Assert.Equal(96L * 1998 * 1998 * 11 * 11, first.Macs);
        Assert.Equal(96L * 1998 * 1998, first.OutputElements);
        Assert.True(a.Macs > uint.MaxValue);
    }

    [Fact]
    public void ShapeProductsBeyond64BitsAreErrorsNotZero()
    {
        // 65536⁴ = 2^64 wrapped to 0 elements in 64-bit arithmetic: a "valid" empty tensor of an impossible shape
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(65536, 65536, 65536, 65536));
        Assert.Equal("shape (65536, 65536, 65536, 65536) has more elements than a 64-bit count holds", e.Message);
        var m = Assert.Throws<ArgumentException>(() => LayerCosts.ConvMacs([65536, 65536, 1, 1], [65536, 65536, 65536, 65536], 3, 3, 1));
        Assert.Contains("more elements than a 64-bit count holds", m.Message);
    }

    [Fact]
    public void TheCheckedHelperCountsExactlyAndNamesWhatOverflows()
    {
        Assert.Equal(1L << 40, Sizes.Product([1 << 20, 1 << 20]));
        Assert.Equal(1, Sizes.Product([]));
        Assert.Equal("weight (3, -1) has a negative size -1", Assert.Throws<ArgumentException>(() => Sizes.Product([3, -1], "weight")).Message);
        Assert.Equal("x (46341, 46341) has 2,147,488,281 elements, more than a tensor holds (2,147,483,591)",
            Assert.Throws<ArgumentException>(() => Sizes.Elements([46341, 46341], "x")).Message);
        Assert.Equal("bytes: 4,611,686,018,427,387,904 × 4 is more than a 64-bit count holds",
            Assert.Throws<ArgumentException>(() => Sizes.Multiply(1L << 62, 4, "bytes")).Message);
        Assert.Equal("op: x has 10 elements; it needs 8 from offset 4", Assert.Throws<ArgumentException>(() => Sizes.Region("op", "x", 10, 4, 8)).Message);
        Sizes.Region("op", "x", 10, 2, 8);
    }
}
