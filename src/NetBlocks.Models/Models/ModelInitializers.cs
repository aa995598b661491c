using NetBlocks.Nn;

namespace NetBlocks.Models;

/// <summary>The weight initialisations of the families, applied to a materialised model (random numbers from RandomGenerator.Default).</summary>
public static class ModelInitializers
{
    /// <summary>Applies <paramref name="init"/> to every layer of <paramref name="model"/>, which must be materialised.</summary>
    public static void Apply(Module model, ModelInit init)
    {
        if (!model.IsMaterialized)
            throw new InvalidOperationException($"{model.Describe()} has lazy layers that are not materialised yet: call Build(N, C, H, W) before initialising it");
        switch (init)
        {
            case ModelInit.D2l: model.Apply(Init.InitCnn); break;
            case ModelInit.Pycls: model.Apply(Pycls); break;
            case ModelInit.PyTorchDefault: break;
            default: throw new ArgumentOutOfRangeException(nameof(init), init, null);
        }
    }

    /// <summary>
    /// pycls blocks.py init_weights (torchvision RegNet does the same): Conv2d weight N(0, √(2 / fan_out)) with
    /// fan_out = k·k·out_channels (biases, only in SE, keep PyTorch's default); BatchNorm2d γ = 1 (0 for a block's final
    /// norm when ZERO_INIT_FINAL_GAMMA), β = 0; Linear weight N(0, 0.01), bias 0. Children are visited before their
    /// block, so a block's zero γ overrides its norm's 1.
    /// </summary>
    public static void Pycls(Module m)
    {
        switch (m)
        {
            case Conv2d { Weight: { } w } conv:
                Init.Normal(w, 0f, MathF.Sqrt(2f / (conv.KernelSize * conv.KernelSize * conv.OutChannels)));
                break;
            case BatchNorm2d { Weight: { } gamma, Bias: { } beta }:
                Init.Ones(gamma); Init.Zeros(beta);
                break;
            case Linear { Weight: { } w } lin:
                Init.Normal(w, 0f, 0.01f);
                if (lin.Bias is { } b) Init.Zeros(b);
                break;
            case ResBottleneckBlock { ZeroInitFinalGamma: true } block:
                Init.Zeros(block.FinalNorm.Weight!);
                break;
            case ResBasicBlock { ZeroInitFinalGamma: true } block:
                Init.Zeros(block.FinalNorm.Weight!);
                break;
        }
    }
}
