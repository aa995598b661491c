using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Models;

/// <summary>The zoo's names, specs, defaults, errors and initialisations.</summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class ModelZooTests
{
    [Fact]
    public void EveryPresetIsLazyAndItsSpecRoundTrips()
    {
        Assert.Equal(ModelZoo.Presets.Count, ModelZoo.Presets.Select(p => p.Name).Distinct().Count());
        foreach (var p in ModelZoo.Presets)
        {
            var m = ModelZoo.Create(p.Name);
            Assert.False(m.IsMaterialized, p.Name);
            Assert.Equal(p.Spec, ModelZoo.Parse(p.Spec).ToSpec());
            Assert.Equal(p.Family, ModelZoo.Parse(p.Name).Family);
            Assert.Equal(3, p.DefaultInput.Length);
        }
    }

    [Theory]
    [InlineData("vgg11/4", "vgg:1x16,1x32,2x64,2x128,2x128")]
    [InlineData("vgg19/4", "vgg:2x16,2x32,4x64,4x128,4x128")]
    [InlineData("vgg16-bn", "vgg-bn:2x64,2x128,3x256,3x512,3x512")]
    [InlineData("VGG13", "vgg:2x64,2x128,2x256,2x512,2x512")]
    [InlineData("vgg16/8", "vgg:2x8,2x16,3x32,3x64,3x64")]
    [InlineData("vgg:1x16;1x32,fc=512", "vgg:1x16,1x32,fc=512")]
    [InlineData("nin", "nin")]
    [InlineData("nin:convs=3,mlpconv=3x3,head=fc", "nin:convs=3,mlpconv=3x3,head=fc")]
    [InlineData("nin-deep16/4", "nin:body=vgg16,div=4")]
    [InlineData("regnetx32", "anynet:stem=32,4x32g16b1,6x80g16b1")]
    [InlineData("regnetx32:block=resnet", "anynet:stem=32,4x32g16b1,6x80g16b1,block=resnet")]
    [InlineData("anynet:4x32g16,6x80", "anynet:stem=32,4x32g16b1,6x80g80b1")]
    [InlineData("regnetx-200mf", "regnet:d=13,w0=24,wa=36.44,wm=2.49,g=8")]
    [InlineData("regnety-400mf", "regnet:d=16,w0=48,wa=27.89,wm=2.09,g=8,se=0.25")]
    [InlineData("regnet_x_400mf", "regnet:d=22,w0=24,wa=24.48,wm=2.54,g=16,rounding=torchvision")]
    [InlineData("alexnet:init=default", "alexnet:init=default")]
    public void NamesAndSpecsResolveToCanonicalSpecs(string name, string canonical) =>
        Assert.Equal(canonical, ModelZoo.Parse(name).ToSpec());

    [Fact]
    public void FindKnowsPresetsAndDerivedWidths()
    {
        Assert.Equal("vgg11", ModelZoo.Find("VGG11")!.Name);
        Assert.Equal("vgg:2x8,2x16,3x32,3x64,3x64", ModelZoo.Find("vgg16/8")!.Spec);
        Assert.Null(ModelZoo.Find("vgg12"));
        Assert.Null(ModelZoo.Find("vgg:1x16"));
    }

    [Fact]
    public void DefaultsFollowTheSeeds()
    {
        Assert.Equal(0.01f, ModelZoo.DefaultLearningRate("vgg11/4"));   // seed 000
        Assert.Equal(0.05f, ModelZoo.DefaultLearningRate("nin"));       // seed 004
        Assert.Equal(0.05f, ModelZoo.DefaultLearningRate("regnetx32")); // seed 003
        Assert.Equal(0.01f, ModelZoo.DefaultLearningRate("alexnet"));
        Assert.Equal([1, 224, 224], ModelZoo.DefaultInput("vgg11/4"));
        Assert.Equal([1, 224, 224], ModelZoo.DefaultInput("nin:convs=1"));
        Assert.Equal([1, 96, 96], ModelZoo.DefaultInput("regnetx32"));
        Assert.Equal([1, 96, 96], ModelZoo.DefaultInput("anynet:2x16"));
        Assert.Equal([3, 224, 224], ModelZoo.DefaultInput("regnetx-400mf"));
        Assert.Equal(ModelInit.Pycls, ModelZoo.Describe("regnety-200mf").Init);
        Assert.Equal(ModelInit.D2l, ModelZoo.Describe("vgg11").Init);
        Assert.Equal(ModelInit.PyTorchDefault, ModelZoo.Describe("regnetx32:init=default").Init);
    }

    [Fact]
    public void OptionsSetClassesAndAreChecked()
    {
        var m = ModelZoo.CreateBuilt("regnetx32", [2, 3, 32, 32], new ModelOptions(InputChannels: 3, Classes: 7));
        Assert.Equal([2, 7], m.Build(2, 3, 32, 32));
        Assert.Throws<ArgumentException>(() => ModelZoo.CreateBuilt("regnetx32", [2, 1, 32, 32], new ModelOptions(InputChannels: 3)));
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("nin", new ModelOptions(Classes: 0)));
    }

    [Fact]
    public void UnknownNameSuggestsTheClosestPreset()
    {
        var e = Assert.Throws<UnknownModelException>(() => ModelZoo.Create("vgg12"));
        Assert.StartsWith("unknown model 'vgg12'; did you mean 'vgg11'?", e.Message);
        Assert.Contains("`netblocks models`", e.Message);
        Assert.Equal("regnetx-400mf", Assert.Throws<UnknownModelException>(() => ModelZoo.Create("regnetx-400m")).Suggestion);
        Assert.Equal("vgg", Assert.Throws<UnknownModelException>(() => ModelZoo.Create("vgx:1x64")).Suggestion);
        Assert.Null(Assert.Throws<UnknownModelException>(() => ModelZoo.Create("transformer-xl-huge")).Suggestion);
    }

    /// <summary>The second and third lines of the message: the spec, then a caret under <paramref name="at"/>.</summary>
    [Theory]
    [InlineData("vgg:1x16,2y32", "2y32", "'2y32' is not a block <convs>x<channels>")]
    [InlineData("vgg:1x16,2x3a2", "a2", "the number of channels must be a whole number")]
    [InlineData("vgg11:fc=big", "big", "fc (hidden units) must be a whole number")]
    [InlineData("vgg11:foo=3", "foo", "unknown option 'foo' for vgg")]
    [InlineData("vgg11/x", "x", "div (width divisor) must be a whole number")]
    [InlineData("regnetx32/4", "/4", "a width divisor /k applies to vgg and nin models")]
    [InlineData("nin:convs=9", "9", "convs (MLP convolutions per block) must be between 0 and 8")]
    [InlineData("nin:head=mlp", "mlp", "head must be one of gap, fc")]
    [InlineData("anynet:stem=32,4x32g15b1", "15b1", "the group width 15 does not divide the bottleneck width 32")]
    [InlineData("anynet:stem=32,4x32gb1", "b1", "the group width must be a whole number")]
    [InlineData("regnetx-400mf:rounding=tf", "tf", "rounding must be one of pycls, torchvision")]
    [InlineData("regnet:d=13,w0=20,wa=36.44,wm=2.49,g=8", "20", "w0 must be a multiple of 8")]
    [InlineData("regnet:d=13,w0=24,wa=36.44,wm=0.9,g=8", "0.9", "wm (width multiplier) must be above 1")]
    public void MalformedSpecPointsAtTheCharacter(string spec, string at, string reason)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelZoo.Create(spec));
        var lines = e.Message.Split('\n');
        Assert.StartsWith("malformed model spec: " + reason, lines[0]);
        Assert.Equal("  " + spec, lines[1]);
        Assert.Equal("  " + new string(' ', spec.LastIndexOf(at, StringComparison.Ordinal)) + "^", lines[2]);
        Assert.StartsWith("grammar (", lines[3]);
        Assert.Equal(spec.LastIndexOf(at, StringComparison.Ordinal), e.Position);
    }

    [Theory]
    [InlineData("vgg:", "a VGG needs blocks")]
    [InlineData("anynet:stem=16", "an AnyNet needs stages")]
    [InlineData("regnet:d=13,w0=24,wa=36.44,wm=2.49", "'g' is missing")]
    public void MissingPartsPointAtTheEnd(string spec, string reason)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelZoo.Create(spec));
        Assert.Contains(reason, e.Message);
        Assert.Equal(spec.Length, e.Position);
    }

    [Fact]
    public void InputTooSmallNamesTheCollapsingLayerAndTheSmallestInput()
    {
        var e = Assert.Throws<ShapeException>(() => ModelZoo.CreateBuilt("vgg11/4", [1, 1, 28, 28]));
        Assert.StartsWith("input 1×28×28 is too small for vgg11/4: at layer 4.4 (MaxPool2d): ", e.Message);
        Assert.EndsWith("the smallest input that works is 32×32", e.Message);
        Assert.Equal(32, ModelZoo.MinimumInputSize("vgg11/4"));
        Assert.Equal(65, ModelZoo.MinimumInputSize("alexnet"));  // 11×11/4 (padding 1) → 15, max-pools 3/2 → 7 → 3 → 1
        Assert.Equal(67, ModelZoo.MinimumInputSize("nin"));      // 11×11/4 (no padding) → 15, then the same pools
        Assert.Equal(1, ModelZoo.MinimumInputSize("regnetx32"));
    }

    [Fact]
    public void SearchingTheMinimumInputLeavesTheRandomStreamAlone()
    {
        RandomGenerator.ManualSeed(5);
        float expected = new RandomGenerator(5).NextFloat();
        Assert.Equal(8, ModelZoo.MinimumInputSize("vgg:1x4,1x4,2x8", channels: 2));
        Assert.Equal(expected, RandomGenerator.Default.NextFloat());
    }

    [Fact]
    public void D2lInitIsXavierUniform()
    {
        RandomGenerator.ManualSeed(7);
        var m = ModelZoo.CreateBuilt("vgg:1x8,1x16,fc=32", [1, 1, 8, 8]);
        foreach (var w in new[] { "0.0.weight", "1.0.weight", "3.weight", "6.weight", "9.weight" })
        {
            var t = m.StateDict().Single(e => e.Key == w).Value;
            var (fanIn, fanOut) = Init.Fans(t);
            float bound = MathF.Sqrt(6f / (fanIn + fanOut));
            float max = 0;
            foreach (var v in t.Span) max = Math.Max(max, Math.Abs(v));
            Assert.True(max <= bound && max > 0.8f * bound, $"{w}: max |w| {max}, Xavier bound {bound}");
        }
    }

    [Fact]
    public void PyclsInitMatchesPycls()
    {
        RandomGenerator.ManualSeed(7);
        var m = ModelZoo.CreateBuilt("regnetx-200mf:zerogamma=true", [1, 3, 32, 32], new ModelOptions(3, 1000));
        var state = m.StateDict().ToDictionary(e => e.Key, e => e.Value);
        // conv: N(0, √(2 / fan_out)), fan_out = k·k·out (here 3·3·152 for a grouped 3×3)
        var conv = state["trunk_output.block3.block3-0.f.b.0.weight"];
        Assert.InRange(Std(conv.Span), 0.9 * Math.Sqrt(2.0 / (9 * 152)), 1.1 * Math.Sqrt(2.0 / (9 * 152)));
        Assert.InRange(Std(state["fc.weight"].Span), 0.0095, 0.0105);
        Assert.All(state["fc.bias"].Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(state["trunk_output.block3.block3-0.f.a.1.weight"].Span.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(state["trunk_output.block3.block3-0.f.c.1.weight"].Span.ToArray(), v => Assert.Equal(0f, v)); // final γ zeroed
    }

    private static double Std(ReadOnlySpan<float> x)
    {
        double mean = 0, sq = 0;
        foreach (var v in x) mean += v;
        mean /= x.Length;
        foreach (var v in x) sq += (v - mean) * (v - mean);
        return Math.Sqrt(sq / x.Length);
    }
}
