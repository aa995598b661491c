using NetBlocks.Tensors;
using NetBlocks.Training;

namespace NetBlocks.Tests.Training;

public class ScheduleTests
{
    [Theory]
    [InlineData("constant", 0.0, 0.1)]
    [InlineData("constant", 7.5, 0.1)]
    [InlineData("step:3:0.1", 2.99, 0.1)]
    [InlineData("step:3:0.1", 3.0, 0.01)]
    [InlineData("step:3:0.1", 6.5, 0.001)]
    [InlineData("cosine", 0.0, 0.1)]
    [InlineData("cosine", 5.0, 0.05)]
    [InlineData("cosine", 10.0, 0.0)]
    [InlineData("cosine:2", 1.0, 0.05)]
    [InlineData("cosine:2", 2.0, 0.1)]
    [InlineData("cosine:2", 6.0, 0.05)]
    public void LearningRates(string spec, double epoch, double expected) =>
        Assert.Equal(expected, LearningRateSchedule.Parse(spec).At(0.1f, epoch, 10), 1e-6);

    [Theory]
    [InlineData("linear")]
    [InlineData("step:0:0.1")]
    [InlineData("step:3")]
    [InlineData("cosine:x")]
    public void BadSchedulesShowTheForms(string spec) =>
        Assert.Contains("step:EVERY:GAMMA", Assert.Throws<FormatException>(() => LearningRateSchedule.Parse(spec)).Message);

    [Fact]
    public void GradientClippingScalesTheGlobalNorm()
    {
        var a = Tensor.ZerosPersistent(2); a.Grad = Tensor.FromArray([3f, 0f], 2);
        var b = Tensor.ZerosPersistent(1); b.Grad = Tensor.FromArray([4f], 1);
        Assert.Equal(5.0, GradientClipping.ClipGlobalNorm([a, b], 1f), 1e-9);
        Assert.Equal([0.6f, 0f], a.Grad.ToArray());
        Assert.Equal(0.8f, b.Grad.Span[0], 1e-6f);
        Assert.Equal(1.0, GradientClipping.ClipGlobalNorm([a, b], 2f), 1e-6);
        Assert.Equal([0.6f, 0f], a.Grad.ToArray());
    }
}
