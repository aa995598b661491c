using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// Weight initialisers, as torch.nn.init. Fans follow PyTorch: for a weight (out, in, k…), fan_in = in·∏k and
/// fan_out = out·∏k (for a grouped convolution, in is the channels per group).
/// </summary>
public static class Init
{
    public static (int FanIn, int FanOut) Fans(Tensor weight)
    {
        if (weight.Rank < 2) throw new ArgumentException($"fan in and fan out need a weight of rank ≥ 2, got {ShapeUtil.Format(weight.Shape)}");
        int receptive = 1;
        for (int i = 2; i < weight.Rank; i++) receptive *= weight.Size(i);
        return (weight.Size(1) * receptive, weight.Size(0) * receptive);
    }

    /// <summary>U[low, high) from <paramref name="g"/>; a meta tensor (a model sized on <see cref="ParameterDevice"/> meta) draws nothing.</summary>
    public static void Uniform(Tensor t, float low, float high, RandomGenerator? g = null)
    {
        if (t.IsMeta) return;
        t.Backend.FillUniform(t, low, high, g ?? RandomGenerator.Default);
    }

    /// <summary>N(mean, std²) from <paramref name="g"/>; a meta tensor draws nothing.</summary>
    public static void Normal(Tensor t, float mean, float std, RandomGenerator? g = null)
    {
        if (t.IsMeta) return;
        t.Backend.FillNormal(t, mean, std, g ?? RandomGenerator.Default);
    }

    public static void Zeros(Tensor t) { if (!t.IsMeta) t.Backend.Fill(t, 0f); }
    public static void Ones(Tensor t) { if (!t.IsMeta) t.Backend.Fill(t, 1f); }

    /// <summary>Xavier/Glorot uniform: U(−a, a), a = gain·√(6 / (fan_in + fan_out)) — d2l's init_cnn.</summary>
    public static void XavierUniform(Tensor w, float gain = 1f, RandomGenerator? g = null)
    {
        var (fanIn, fanOut) = Fans(w);
        float a = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        Uniform(w, -a, a, g);
    }

    /// <summary>Kaiming/He normal for ReLU, fan_in mode: N(0, 2 / fan_in).</summary>
    public static void KaimingNormal(Tensor w, RandomGenerator? g = null)
    {
        var (fanIn, _) = Fans(w);
        Normal(w, 0f, MathF.Sqrt(2f / fanIn), g);
    }

    /// <summary>
    /// PyTorch's default for Conv2d and Linear: weight kaiming_uniform(a = √5) = U(−1/√fan_in, 1/√fan_in), bias
    /// U(−1/√fan_in, 1/√fan_in).
    /// </summary>
    public static void PyTorchDefault(Tensor weight, Tensor? bias, RandomGenerator? g = null)
    {
        var (fanIn, _) = Fans(weight);
        float bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        Uniform(weight, -bound, bound, g);
        if (bias is not null) Uniform(bias, -bound, bound, g);
    }

    /// <summary>d2l's init_cnn as a module visitor: Xavier-uniform weights for every Conv2d and Linear (biases keep their init).</summary>
    public static void InitCnn(Module m)
    {
        if (m is Conv2d { Weight: { } cw }) XavierUniform(cw);
        else if (m is Linear { Weight: { } lw }) XavierUniform(lw);
    }

    /// <summary>Kaiming-normal weights and zero biases for Conv2d and Linear (as pycls/torchvision ResNets do for convolutions).</summary>
    public static void InitKaiming(Module m)
    {
        if (m is Conv2d { Weight: { } cw } conv) { KaimingNormal(cw); if (conv.Bias is { } b) Zeros(b); }
        else if (m is Linear { Weight: { } lw } lin) { KaimingNormal(lw); if (lin.Bias is { } b) Zeros(b); }
    }
}
