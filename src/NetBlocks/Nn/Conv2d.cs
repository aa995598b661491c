using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// 2-D convolution layer, torch.nn.Conv2d: weight (out, in/groups, k, k), bias (out). With <c>inChannels</c> null it is
/// lazy like nn.LazyConv2d: the input channel count comes from the first input it sees (typically the shape pass,
/// <see cref="Module.Build"/>). While an <see cref="InferencePlan"/> that prepared it is in force, its forward runs the
/// plan's <see cref="PreparedConvolution"/> (the weights packed once).
/// </summary>
public sealed class Conv2d : Module
{
    public int? InChannels { get; private set; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Groups { get; }
    public bool HasBias { get; }

    public Tensor? Weight => GetParameter("weight");
    public Tensor? Bias => HasBias ? GetParameter("bias") : null;

    public Conv2d(int? inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int groups = 1, bool bias = true)
    {
        if (outChannels < 1) throw new ArgumentException($"Conv2d: out_channels must be positive, got {outChannels}");
        if (kernelSize < 1) throw new ArgumentException($"Conv2d: kernel_size must be positive, got {kernelSize}");
        if (groups < 1 || outChannels % groups != 0) throw new ArgumentException($"Conv2d: out_channels {outChannels} must be divisible by groups {groups}");
        OutChannels = outChannels; KernelSize = kernelSize; Stride = stride; Padding = padding; Groups = groups; HasBias = bias;
        RegisterParameter("weight", null);
        if (bias) RegisterParameter("bias", null);
        if (inChannels is int c) Materialize(c);
    }

    /// <summary>Lazy form, as the seed's nn.LazyConv2d(out_channels, kernel_size, …).</summary>
    public static Conv2d Lazy(int outChannels, int kernelSize, int stride = 1, int padding = 0, int groups = 1, bool bias = true) =>
        new(null, outChannels, kernelSize, stride, padding, groups, bias);

    private void Materialize(int inChannels)
    {
        if (inChannels % Groups != 0) throw new ArgumentException($"in_channels {inChannels} must be divisible by groups {Groups}");
        InChannels = inChannels;
        var w = NewState(OutChannels, inChannels / Groups, KernelSize, KernelSize);
        var b = HasBias ? NewState(OutChannels) : null;
        Init.PyTorchDefault(w, b);
        RegisterParameter("weight", w);
        if (HasBias) RegisterParameter("bias", b);
    }

    public override string TypeName => InChannels is null ? "LazyConv2d" : "Conv2d";

    protected override Tensor ForwardImpl(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"expected input (N, C, H, W), got {ShapeUtil.Format(x.Shape)}");
        if (InChannels is null) Materialize(x.Size(1));
        if (x.IsMeta) InferencePlan.TraceConvolution(this, x.ShapeArray);
        else if (InferencePlan.Current?.Find(this, bn: null) is { } prepared) return prepared.Forward(x, relu: false);
        return F.Conv2d(x, Weight!, Bias, Stride, Padding, Groups);
    }

    protected override string ExtraRepr()
    {
        var s = $"{InChannels ?? 0}, {OutChannels}, kernel_size=({KernelSize}, {KernelSize}), stride=({Stride}, {Stride})";
        if (Padding != 0) s += $", padding=({Padding}, {Padding})";
        if (Groups != 1) s += $", groups={Groups}";
        if (!HasBias) s += ", bias=False";
        return s;
    }
}
