using NetBlocks.Functional;
using NetBlocks.Tensors;
using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Functional;

/// <summary>Every op against PyTorch 1.13: forward values and all gradients (fixtures from tools/make_fixtures.py).</summary>
public class TorchFixtureTests
{
    [Theory]
    [InlineData("conv2d_k3_s1_p1")]
    [InlineData("conv2d_k3_s2_p1_g2")]
    [InlineData("conv2d_k1_s1_p0")]
    [InlineData("conv2d_grouped_depthwise")]
    [InlineData("conv2d_k11_s4_p0")]
    public void Conv2d(string name) => TorchCheck.Op(name,
        (f, t) => F.Conv2d(t[0], t[1], t[2], f.MetaInt("stride"), f.MetaInt("padding"), f.MetaInt("groups")),
        "input", "param.weight", "param.bias");

    [Fact]
    public void Conv2dWithoutBias() => TorchCheck.Op("conv2d_k5_s2_p2_nobias",
        (f, t) => F.Conv2d(t[0], t[1], null, f.MetaInt("stride"), f.MetaInt("padding"), f.MetaInt("groups")),
        "input", "param.weight");

    [Fact]
    public void Linear() => TorchCheck.Op("linear", (_, t) => F.Linear(t[0], t[1], t[2]), "input", "param.weight", "param.bias");

    [Fact]
    public void LinearWithoutBias() => TorchCheck.Op("linear_nobias", (_, t) => F.Linear(t[0], t[1]), "input", "param.weight");

    [Fact]
    public void Relu() => TorchCheck.Op("relu", (_, t) => F.Relu(t[0]), "input");

    [Fact]
    public void Sigmoid() => TorchCheck.Op("sigmoid", (_, t) => F.Sigmoid(t[0]), "input");

    [Theory]
    [InlineData("max_pool2d_k2_s2")]
    [InlineData("max_pool2d_k3_s2")]
    [InlineData("max_pool2d_k3_s2_p1")]
    [InlineData("max_pool2d_k3_s2_ties")]
    public void MaxPool2d(string name) => TorchCheck.Op(name,
        (f, t) => F.MaxPool2d(t[0], f.MetaInt("kernel"), f.MetaInt("stride"), f.MetaInt("padding")), "input");

    [Theory]
    [InlineData("avg_pool2d_k2_s2")]
    [InlineData("avg_pool2d_k3_s1_p1")]
    public void AvgPool2d(string name) => TorchCheck.Op(name,
        (f, t) => F.AvgPool2d(t[0], f.MetaInt("kernel"), f.MetaInt("stride"), f.MetaInt("padding")), "input");

    [Theory]
    [InlineData("adaptive_avg_pool2d_1x1")]
    [InlineData("adaptive_avg_pool2d_3x3_from_7x7")]
    [InlineData("adaptive_avg_pool2d_3x3_from_5x5")]
    public void AdaptiveAvgPool2d(string name) => TorchCheck.Op(name,
        (f, t) => F.AdaptiveAvgPool2d(t[0], f.MetaInt("output_h"), f.MetaInt("output_w")), "input");

    [Theory]
    [InlineData("batch_norm2d_train")]
    [InlineData("batch_norm2d_eval")]
    public void BatchNorm2d(string name)
    {
        var f = OpFixture.Load("ops/" + name);
        var runningMean = TorchCheck.Load(f, "param.running_mean");
        var runningVar = TorchCheck.Load(f, "param.running_var");
        TorchCheck.Op(name, (f, t) => F.BatchNorm2d(t[0], runningMean, runningVar, t[1], t[2], f.MetaBool("training"),
            f.MetaFloat("momentum"), f.MetaFloat("eps")), "input", "param.weight", "param.bias");
        if (f.Has("after.running_mean"))
        {
            f.AssertClose("after.running_mean", runningMean.Span);
            f.AssertClose("after.running_var", runningVar.Span);
        }
    }

    [Fact]
    public void LogSoftmax() => TorchCheck.Op("log_softmax", (_, t) => F.LogSoftmax(t[0]), "input");

    [Fact]
    public void CrossEntropy() => TorchCheck.Op("cross_entropy", (f, t) => F.CrossEntropy(t[0], f.IntArray("target")), "input");

    [Fact]
    public void AddBroadcastsABias() => TorchCheck.Op("add_broadcast_bias", (_, t) => t[0] + t[1], "input", "input2");

    [Fact]
    public void MulBroadcastsAnExcitation() => TorchCheck.Op("mul_broadcast", (_, t) => t[0] * t[1], "input", "input2");

    [Fact]
    public void Flatten() => TorchCheck.Op("flatten", (_, t) => F.Flatten(t[0]), "input");

    [Fact]
    public void DropoutInEvalIsIdentity() => TorchCheck.Op("dropout_eval", (f, t) => F.Dropout(t[0], f.MetaFloat("p"), training: false) * 1f, "input");
}
