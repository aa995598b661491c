using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// A <see cref="Conv2d"/> and the eval-mode <see cref="BatchNorm2d"/> that follows it, as one convolution (what
/// torch.fx's <c>fuse_conv_bn_eval</c> and ONNX Runtime do for inference): per output channel c, with
/// s = γ/√(σ²+ε), the weights w'[c] = w[c]·s and the bias b'[c] = (b[c] − μ)·s + β (b = 0 for a convolution without
/// bias), computed in double from the float32 values and rounded once. The folded tensors are the plan's own copies:
/// the two modules' parameters, buffers and state dict are not touched. The plan runs them as a
/// <see cref="PreparedConvolution"/> (which also packs them for the kernel and checks that the modules still hold the
/// values they were folded from).
/// </summary>
public sealed class FoldedConvolution
{
    public Conv2d Convolution { get; }
    public BatchNorm2d BatchNorm { get; }
    /// <summary>The folded weight (OC, C/groups, K, K), persistent.</summary>
    public Tensor Weight { get; }
    /// <summary>The folded bias (OC), persistent.</summary>
    public Tensor Bias { get; }

    private FoldedConvolution(Conv2d conv, BatchNorm2d bn, Tensor weight, Tensor bias)
    {
        Convolution = conv; BatchNorm = bn; Weight = weight; Bias = bias;
    }

    /// <summary>"conv1+bn1": the two modules this step replaces.</summary>
    public string Name => Convolution.Label + "+" + BatchNorm.Label;

    /// <summary>Folds <paramref name="bn"/>'s running statistics and affine parameters into <paramref name="conv"/>'s weights and bias.</summary>
    public static FoldedConvolution Fold(Conv2d conv, BatchNorm2d bn)
    {
        if (conv.Weight is not { } weight || bn.Weight is null || bn.RunningMean is null)
            throw new InvalidOperationException($"cannot fold {bn.Describe()} into {conv.Describe()}: lazy layers are not materialised yet (call Build first)");
        if (weight.IsMeta || bn.RunningVar!.IsMeta)
            throw new InvalidOperationException($"cannot fold {bn.Describe()} into {conv.Describe()}: the model is on the meta device (its weights have no values)");
        if (bn.NumFeatures != conv.OutChannels)
            throw new InvalidOperationException(
                $"cannot fold {bn.Describe()} ({bn.NumFeatures} channels) into {conv.Describe()} ({conv.OutChannels} output channels)");
        var w = weight.ToArray();
        var b = conv.Bias?.ToArray();
        var gamma = bn.Weight.ToArray();
        var beta = bn.Bias!.ToArray();
        var mean = bn.RunningMean.ToArray();
        var variance = bn.RunningVar.ToArray();
        int oc = conv.OutChannels, per = w.Length / oc;
        var wf = new float[w.Length];
        var bf = new float[oc];
        double eps = bn.Eps;
        for (int c = 0; c < oc; c++)
        {
            double scale = gamma[c] / Math.Sqrt(variance[c] + eps);
            for (int k = c * per; k < (c + 1) * per; k++) wf[k] = (float)(w[k] * scale);
            bf[c] = (float)(((b is null ? 0.0 : b[c]) - mean[c]) * scale + beta[c]);
        }
        var foldedWeight = Tensor.ZerosPersistent(weight.Device, weight.ShapeArray); // on the model's device
        foldedWeight.CopyFrom(wf);
        var foldedBias = Tensor.ZerosPersistent(weight.Device, oc);
        foldedBias.CopyFrom(bf);
        return new FoldedConvolution(conv, bn, foldedWeight, foldedBias);
    }
}
