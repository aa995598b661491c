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

    public int Channels { get; }
    public int SqueezeChannels { get; }

    public SqueezeExcitation(int channels, int squeezeChannels)
    {
        if (squeezeChannels < 1) throw new ArgumentException($"squeeze-excitation width must be positive, got {squeezeChannels}");
        Channels = channels; SqueezeChannels = squeezeChannels;
        AddChild("avgpool", new AdaptiveAvgPool2d(1));
        _fc1 = AddChild("fc1", new Conv2d(channels, squeezeChannels, 1));
        _fc2 = AddChild("fc2", new Conv2d(squeezeChannels, channels, 1));
    }

    protected override Tensor ForwardImpl(Tensor x)
    {
        var s = F.AdaptiveAvgPool2d(x, 1, 1);
        s = Then(s, _fc1.Forward);
        s = Then(s, F.Relu);
        s = Then(s, _fc2.Forward);
        s = Then(s, F.Sigmoid);
        var y = F.Mul(x, s);
        Done(s);
        return y;
    }


    protected override int[] InferShape(int[] input)
    {
        if (input.Length != 4 || input[1] != Channels)
            throw new ArgumentException($"expected input (N, {Channels}, H, W), got {ShapeUtil.Format(input)}");
        _fc2.Build(_fc1.Build([input[0], Channels, 1, 1]));
        return input;
    }
}
