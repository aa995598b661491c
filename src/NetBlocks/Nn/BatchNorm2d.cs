using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// Batch normalisation over channels, torch.nn.BatchNorm2d: weight γ (1s), bias β (0s), buffers running_mean (0s),
/// running_var (1s), num_batches_tracked. Momentum 0.1, eps 1e-5. Lazy (nn.LazyBatchNorm2d) when numFeatures is null.
/// </summary>
public sealed class BatchNorm2d : Module
{
    public int? NumFeatures { get; private set; }
    public float Eps { get; }
    public float Momentum { get; }
    public Tensor? Weight => GetParameter("weight");
    public Tensor? Bias => GetParameter("bias");
    public Tensor? RunningMean { get; private set; }
    public Tensor? RunningVar { get; private set; }
    public Tensor? NumBatchesTracked { get; private set; }

    public BatchNorm2d(int? numFeatures = null, float eps = 1e-5f, float momentum = 0.1f)
    {
        Eps = eps; Momentum = momentum;
        RegisterParameter("weight", null);
        RegisterParameter("bias", null);
        if (numFeatures is int c) Materialize(c);
    }

    private void Materialize(int c)
    {
        if (c < 1) throw new ArgumentException($"num_features must be positive, got {c}");
        NumFeatures = c;
        var w = NewState(c); Init.Ones(w);
        RegisterParameter("weight", w);
        RegisterParameter("bias", NewState(c));
        RunningMean = NewState(c);
        RunningVar = NewState(c); Init.Ones(RunningVar);
        NumBatchesTracked = NewState();
        RegisterBuffer("running_mean", RunningMean);
        RegisterBuffer("running_var", RunningVar);
        RegisterBuffer("num_batches_tracked", NumBatchesTracked);
    }

    public override string TypeName => NumFeatures is null ? "LazyBatchNorm2d" : "BatchNorm2d";

    protected override Tensor ForwardImpl(Tensor x) => Normalize(x, relu: false);

    /// <summary>relu(this(x)) as one fused op: the same values and gradients as Forward then ReLU, one pass less each way.</summary>
    public Tensor ForwardRelu(Tensor x)
    {
        try { return Normalize(x, relu: true); }
        catch (ArgumentException e) when (e is not ShapeException) { throw Located(e); }
    }

    private Tensor Normalize(Tensor x, bool relu)
    {
        if (x.Rank != 4) throw new ArgumentException($"expected input (N, C, H, W), got {ShapeUtil.Format(x.Shape)}");
        if (NumFeatures is null) Materialize(x.Size(1));
        if (x.Size(1) != NumFeatures) throw new ArgumentException($"expected input with {NumFeatures} channels (N, {NumFeatures}, H, W), got {ShapeUtil.Format(x.Shape)}");
        if (Training && !x.IsMeta && !NumBatchesTracked!.IsMeta) NumBatchesTracked.Backend.Affine(NumBatchesTracked, 1f, 1f, NumBatchesTracked); // += 1
        return F.BatchNorm2d(x, RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps, relu);
    }

    protected override string ExtraRepr() =>
        $"{NumFeatures ?? 0}, eps={Fmt(Eps)}, momentum={Fmt(Momentum)}, affine=True, track_running_stats=True";

    internal static string Fmt(float v) => v switch
    {
        1e-5f => "1e-05",
        _ => v.ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture),
    };
}
