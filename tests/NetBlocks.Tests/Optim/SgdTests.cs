using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Tensors;
using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Optim;

public class SgdTests
{
    /// <summary>Five SGD steps of a small conv net on one batch reproduce PyTorch's losses and final weights.</summary>
    [Theory]
    [InlineData("sgd_steps")]
    [InlineData("sgd_steps_plain")]
    public void FiveStepsMatchTorchOptimSgd(string name)
    {
        var f = OpFixture.Load("ops/" + name);
        var model = new Sequential(Conv2d.Lazy(4, 3, padding: 1), new ReLU(), new MaxPool2d(2, 2), new Flatten(), Linear.Lazy(10));
        var x = TorchCheck.Load(f, "input");
        model.Build(x.ShapeArray);
        TorchCheck.LoadParams(f, model);
        var opt = new Sgd(model.Parameters(), f.MetaFloat("lr"), f.MetaFloat("momentum"), f.MetaFloat("weight_decay"), f.MetaBool("nesterov"));
        var labels = f.IntArray("target");
        for (int step = 0; step < f.MetaInt("steps"); step++)
        {
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), labels);
            Assert.Equal(f.Array($"loss.{step}")[0], loss.Item(), 1e-5f);
            loss.Backward();
            opt.Step();
        }
        foreach (var (key, p) in model.NamedParameters()) f.AssertClose("final." + key, p.Span);
    }

    [Fact]
    public void MomentumBufferStartsAsTheGradientAndNesterovLooksAhead()
    {
        var p = Tensor.FromArray([1f], 1); p.RequiresGrad = true;
        var opt = new Sgd([p], lr: 0.1f, momentum: 0.9f, weightDecay: 0f, nesterov: true);
        p.Grad = Tensor.FromArray([2f], 1);
        opt.Step(); // b = 2, step = g + 0.9·b = 3.8 → p = 1 − 0.38
        Assert.Equal(0.62f, p.Span[0], 1e-6f);
        opt.Step(); // b = 0.9·2 + 2 = 3.8, step = 2 + 0.9·3.8 = 5.42 → p = 0.62 − 0.542
        Assert.Equal(0.078f, p.Span[0], 1e-6f);
        Assert.Equal(3.8f, opt.MomentumBuffer(0)!.Span[0], 1e-6f);
    }

    [Fact]
    public void InvalidSettingsAreRejected()
    {
        Assert.Contains("invalid learning rate", Assert.Throws<ArgumentException>(() => new Sgd([], -1f)).Message);
        Assert.Contains("Nesterov momentum requires a momentum > 0", Assert.Throws<ArgumentException>(() => new Sgd([], 0.1f, nesterov: true)).Message);
    }
}
