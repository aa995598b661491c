using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Models;

/// <summary>
/// Parameter counts and state-dict layouts against the networks PyTorch builds (tools/make_model_fixtures.py):
/// torchvision's VGGs and RegNets at 3×224×224 with 1000 classes, pycls's RegNets (its generator ported to Python),
/// and the seeds' d2l networks.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class ParameterCountTests
{
    private static readonly ModelOptions ImageNet = new(InputChannels: 3, Classes: 1000);

    private static Module BuildImageNet(string name)
    {
        var m = ModelZoo.Create(name, ImageNet);
        m.Build(1, 3, 224, 224);
        return m;
    }

    // torchvision's vgg has features/avgpool(7×7)/classifier; at 224×224 the avgpool is the identity and has no
    // parameters, so d2l's layout holds exactly the same parameters.
    [Theory]
    [InlineData("vgg11")]
    [InlineData("vgg13")]
    [InlineData("vgg16")]
    [InlineData("vgg19")]
    [InlineData("vgg11-bn")]
    [InlineData("vgg13-bn")]
    [InlineData("vgg16-bn")]
    [InlineData("vgg19-bn")]
    public void VggMatchesTorchvision(string name) =>
        Assert.Equal(ModelFixtures.Params(ModelFixtures.Net("torchvision_vgg", name)),
            CountSparingLinears(ModelZoo.Create(name, ImageNet), [1, 3, 224, 224]));

    [Fact]
    public void CountingSparingLinearsEqualsMaterialising()
    {
        var spared = CountSparingLinears(ModelZoo.Create("vgg:1x8,2x16,fc=64", ImageNet), [1, 3, 32, 32]);
        var built = ModelZoo.Create("vgg:1x8,2x16,fc=64", ImageNet);
        built.Build(1, 3, 32, 32);
        Assert.Equal(built.ParameterCount, spared);
    }

    /// <summary>
    /// The parameter count of a Sequential for an input: every top-level child is materialised by the shape pass except the
    /// lazy Linear layers, counted in·out + out from their declared sizes, which spares allocating and initialising VGG's
    /// 25088×4096 matrices (seconds per model in a Debug build).
    /// </summary>
    private static long CountSparingLinears(Module model, int[] input)
    {
        long count = 0;
        var shape = input;
        foreach (var (_, child) in model.Children)
        {
            if (child is Linear { InFeatures: null } lin)
            {
                count += (long)shape[1] * lin.OutFeatures + (lin.HasBias ? lin.OutFeatures : 0);
                shape = [shape[0], lin.OutFeatures];
                continue;
            }
            shape = child.Build(shape);
            count += child.ParameterCount;
        }
        return count;
    }

    public static TheoryData<string> RegNetPresets => new()
    {
        "regnetx-200mf", "regnetx-400mf", "regnetx-600mf", "regnetx-800mf", "regnetx-1.6gf", "regnetx-3.2gf",
        "regnety-200mf", "regnety-400mf", "regnety-600mf", "regnety-800mf",
    };

    [Theory]
    [MemberData(nameof(RegNetPresets))]
    public void RegNetWithTorchvisionRoundingMatchesTorchvision(string name)
    {
        var fixture = ModelFixtures.Net("torchvision_regnet", name);
        var m = BuildImageNet(name + ":rounding=torchvision");
        Assert.Equal(ModelFixtures.Params(fixture), m.ParameterCount);
        if (fixture.TryGetProperty("state_dict", out _))
            Assert.Equal(ModelFixtures.StateDict(fixture), ModelFixtures.StateDict(m));
    }

    [Theory]
    [MemberData(nameof(RegNetPresets))]
    public void RegNetWithPyclsRoundingMatchesPycls(string name)
    {
        var fixture = ModelFixtures.Net("pycls_regnet", name);
        long count = BuildImageNet(name).ParameterCount;
        Assert.Equal(ModelFixtures.Params(fixture), count);
        // pycls MODEL_ZOO.md publishes millions of parameters to one decimal
        Assert.Equal(fixture.GetProperty("published_params_m").GetDouble(), Math.Round(count / 1e6, 1));
    }

    [Theory]
    [InlineData("regnet_x_400mf", "regnetx-400mf")]
    [InlineData("regnet_x_800mf", "regnetx-800mf")]
    [InlineData("regnet_x_1_6gf", "regnetx-1.6gf")]
    [InlineData("regnet_x_3_2gf", "regnetx-3.2gf")]
    [InlineData("regnet_y_400mf", "regnety-400mf")]
    [InlineData("regnet_y_800mf", "regnety-800mf")]
    public void TorchvisionNamedPresetsAreTorchvisionsModels(string torchvisionName, string fixtureName)
    {
        var fixture = ModelFixtures.Net("torchvision_regnet", fixtureName);
        Assert.StartsWith("torchvision.models.", fixture.GetProperty("source").GetString());
        Assert.Equal(ModelFixtures.Params(fixture), BuildImageNet(torchvisionName).ParameterCount);
    }

    /// <summary>Fixture name → (our name, input): the seeds' networks built in PyTorch from the seed code.</summary>
    public static TheoryData<string> D2lNets => new()
    {
        "vgg11", "vgg11/4", "vgg19/4", "vgg11-bn/4", "nin", "alexnet", "regnetx32", "regnetx32-resnet",
    };

    [Theory]
    [MemberData(nameof(D2lNets))]
    public void D2lNetworksMatchPyTorchKeysShapesAndPrintout(string name)
    {
        var fixture = ModelFixtures.Net("d2l_nets", name);
        var input = ModelFixtures.Ints(fixture.GetProperty("input"));
        var m = ModelFixtures.Built(name, input);
        Assert.Equal(ModelFixtures.Params(fixture), m.ParameterCount);
        Assert.Equal(ModelFixtures.StateDict(fixture), ModelFixtures.StateDict(m));
        Assert.Equal(fixture.GetProperty("repr").GetString(), m.ToString());

        // the top-level layer summary (d2l's layer_summary): each child's type and output shape
        var shape = input;
        var rows = new List<string>();
        foreach (var (_, child) in m.Children)
        {
            shape = child.Build(shape);
            rows.Add($"{child.TypeName} {string.Join(",", shape)}");
        }
        var expected = fixture.GetProperty("summary").EnumerateArray()
            .Select(r => $"{r.GetProperty("type").GetString()} {string.Join(",", ModelFixtures.Ints(r.GetProperty("shape")))}");
        Assert.Equal(expected, rows);
    }
}
