using NetBlocks.DesignSpace;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Models;

/// <summary>The mlp: family: its layout (PyTorch's keys), exact parameter and MAC counts, spec round trips and errors.</summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class MlpTests
{
    [Fact]
    public void Layout_is_flatten_then_linear_and_activation_per_hidden_width_then_the_classifier()
    {
        var m = ModelZoo.CreateBuilt("mlp:256,128,act=sigmoid", [2, 1, 28, 28]);
        var shapes = m.StateDict().Select(e => (e.Key, string.Join("x", e.Value.Shape.ToArray()))).ToList();
        Assert.Equal([("1.weight", "256x784"), ("1.bias", "256"), ("3.weight", "128x256"), ("3.bias", "128"), ("5.weight", "10x128"), ("5.bias", "10")], shapes);
        var kinds = m.Children.Select(c => c.Module.GetType().Name).ToList();
        Assert.Equal(["Flatten", "Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"], kinds);
        Assert.Equal(["Flatten", "Linear", "ReLU", "Linear"], ModelZoo.CreateBuilt("mlp:64", [2, 1, 28, 28]).Children.Select(c => c.Module.GetType().Name));
        var logits = m.Forward(Tensor.Normal([2, 1, 28, 28]));
        Assert.Equal([2, 10], logits.Shape.ToArray());
    }

    [Theory]
    // params: Σ (in + 1)·out; MACs: Σ in·out, for one image
    [InlineData("mlp:256", 28, 785 * 256 + 257 * 10, 784 * 256 + 256 * 10)]
    [InlineData("mlp:256,128", 28, 785 * 256 + 257 * 128 + 129 * 10, 784 * 256 + 256 * 128 + 128 * 10)]
    [InlineData("mlp:64,512,32,act=sigmoid", 32, 1025 * 64 + 65 * 512 + 513 * 32 + 33 * 10, 1024 * 64 + 64 * 512 + 512 * 32 + 32 * 10)]
    public void Parameters_and_macs_are_exact(string spec, int size, long parameters, long macs) =>
        Assert.Equal((parameters, macs), DesignSpaceSampler.Cost(spec, size));

    [Theory]
    [InlineData("mlp:256", "mlp:256")]
    [InlineData("mlp: 256 ,128, act=relu", "mlp:256,128")]
    [InlineData("mlp:512;256,act=SIGMOID,init=default", "mlp:512,256,act=sigmoid,init=default")]
    public void Specs_round_trip_to_their_canonical_form(string spec, string canonical)
    {
        var parsed = Assert.IsType<MlpSpec>(ModelZoo.Parse(spec));
        Assert.Equal(canonical, parsed.ToSpec());
        Assert.Equal(canonical, ModelZoo.Parse(canonical).ToSpec());
        Assert.Equal("mlp", parsed.Family);
    }

    [Fact]
    public void A_spec_gets_d2l_mlp_defaults_28x28_and_lr_0_1()
    {
        var p = ModelZoo.Describe("mlp:256");
        Assert.Equal([1, 28, 28], p.DefaultInput);
        Assert.Equal(0.1f, p.DefaultLearningRate);
        Assert.Equal(ModelInit.D2l, p.Init);
        Assert.Contains("mlp", ModelZoo.Families);
    }

    [Theory]
    [InlineData("mlp:0", "0", "a hidden width must be between 1 and 1048576, got 0")]
    [InlineData("mlp:256,12a", "a", "a hidden width must be a whole number, got '12a'")]
    [InlineData("mlp:256,act=tanh", "tanh", "act must be one of relu, sigmoid, got 'tanh'")]
    [InlineData("mlp:256,drop=0.5", "drop=0.5", "unknown option 'drop' for mlp (known: act, init)")]
    [InlineData("mlp:256,,128", ",128", "empty item")]
    public void Malformed_specs_point_at_the_character(string spec, string at, string reason)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelZoo.Create(spec));
        var lines = e.Message.Split('\n');
        Assert.StartsWith("malformed model spec: " + reason, lines[0]);
        int position = at == ",128" ? spec.IndexOf(",,", StringComparison.Ordinal) + 1 : spec.LastIndexOf(at, StringComparison.Ordinal);
        Assert.Equal(position, e.Position);
        Assert.StartsWith("grammar (mlp): mlp:<hidden width>", lines[3]);
    }

    [Theory]
    [InlineData("mlp:")]
    [InlineData("mlp:act=sigmoid")]
    public void An_mlp_without_hidden_widths_is_refused_at_the_end(string spec)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelZoo.Create(spec));
        Assert.Contains("an MLP needs at least one hidden width, e.g. mlp:256", e.Message);
        Assert.Equal(spec.Length, e.Position);
    }

    [Fact]
    public void A_width_divisor_is_refused_for_mlp()
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelZoo.Create("mlp/4:256"));
        Assert.Contains("a width divisor /k applies to vgg and nin models, not to mlp", e.Message);
    }
}
