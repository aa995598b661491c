using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>Fully connected layer, torch.nn.Linear: y = x·Wᵀ + b with W (out, in). Lazy (nn.LazyLinear) when <c>inFeatures</c> is null.</summary>
public sealed class Linear : Module
{
    public int? InFeatures { get; private set; }
    public int OutFeatures { get; }
    public bool HasBias { get; }
    public Tensor? Weight => GetParameter("weight");
    public Tensor? Bias => HasBias ? GetParameter("bias") : null;

    public Linear(int? inFeatures, int outFeatures, bool bias = true)
    {
        if (outFeatures < 1) throw new ArgumentException($"Linear: out_features must be positive, got {outFeatures}");
        OutFeatures = outFeatures; HasBias = bias;
        RegisterParameter("weight", null);
        if (bias) RegisterParameter("bias", null);
        if (inFeatures is int n) Materialize(n);
    }

    /// <summary>Lazy form, as the seed's nn.LazyLinear(4096).</summary>
    public static Linear Lazy(int outFeatures, bool bias = true) => new(null, outFeatures, bias);

    private void Materialize(int inFeatures)
    {
        InFeatures = inFeatures;
        var w = NewState(OutFeatures, inFeatures);
        var b = HasBias ? NewState(OutFeatures) : null;
        Init.PyTorchDefault(w, b);
        RegisterParameter("weight", w);
        if (HasBias) RegisterParameter("bias", b);
    }

    public override string TypeName => InFeatures is null ? "LazyLinear" : "Linear";

    protected override Tensor ForwardImpl(Tensor x)
    {
        if (x.Rank != 2) throw new ArgumentException($"expected input (N, in_features), got {ShapeUtil.Format(x.Shape)}");
        if (InFeatures is null) Materialize(x.Size(1));
        if (x.Size(1) != InFeatures)
            throw new ArgumentException($"expected input (N, {InFeatures}), got {ShapeUtil.Format(x.Shape)}");
        return F.Linear(x, Weight!, Bias);
    }

    protected override string ExtraRepr() => $"in_features={InFeatures ?? 0}, out_features={OutFeatures}, bias={(HasBias ? "True" : "False")}";
}
