using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Models;

/// <summary>
/// Squeeze-and-excitation (Hu et al. 2018) as torchvision's: s = σ(fc2(ReLU(fc1(avgpool(x))))), y = x · s, with fc1/fc2
/// 1×1 convolutions (channels → squeeze → channels) and s broadcast over H and W.
/// </summary>
public sealed class SqueezeExcitation : Module
{
    private readonly Conv2d _fc1, _fc2;
    private readonly Pipeline _scale;

    public int Channels { get; }
    public int SqueezeChannels { get; }

    public SqueezeExcitation(int channels, int squeezeChannels)
    {
        if (squeezeChannels < 1) throw new ArgumentException($"squeeze-excitation width must be positive, got {squeezeChannels}");
        Channels = channels; SqueezeChannels = squeezeChannels;
        var avgpool = AddChild("avgpool", new AdaptiveAvgPool2d(1));
        _fc1 = AddChild("fc1", new Conv2d(channels, squeezeChannels, 1));
        _fc2 = AddChild("fc2", new Conv2d(squeezeChannels, channels, 1));
        _scale = new Pipeline().Then(avgpool).Then(_fc1).Then("relu", F.Relu).Then(_fc2).Then("sigmoid", F.Sigmoid);
    }

    /// <summary>x · scale(x), scale = σ(fc2(relu(fc1(avgpool(x))))) broadcast over H and W.</summary>
    protected override Tensor ForwardImpl(Tensor x)
    {
        if (x.Rank != 4 || x.Size(1) != Channels)
            throw new ArgumentException($"expected input (N, {Channels}, H, W), got {ShapeUtil.Format(x.Shape)}");
        return Combine(x, x, _scale.Run(x), F.Mul);
    }
}
