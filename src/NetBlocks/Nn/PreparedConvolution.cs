using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// One convolution as an <see cref="InferencePlan"/> runs it: the weights it reads (its batch norm folded in, when a
/// pipeline runs one right after it, or the convolution's own), their ready form for the kernel (<see cref="Packed"/>,
/// made once when the plan is made: the CPU's packed or Winograd-transformed weights; null on a device, whose
/// convolution reads the weights as they are), and whether the ReLU after it runs in the convolution's store.
/// <para>
/// It describes the weights it was made from. Each forward checks that the modules still hold the very tensors it
/// prepared (a parameter or buffer replaced), that no state dict was loaded into them and that they did not go back to
/// training since (<see cref="Module.StateVersion"/>), and refuses to run otherwise: make a new plan. Writing into the
/// weight tensors by other means (<c>CopyFrom</c> on a parameter) is not seen: make a new plan after that too.
/// </para>
/// </summary>
public sealed class PreparedConvolution
{
    private readonly SourceState _conv;
    private readonly SourceState? _bn;

    /// <summary>The model's convolution.</summary>
    public Conv2d Convolution { get; }

    /// <summary>The fold of the batch norm that follows it, or null (the convolution's own weights).</summary>
    public FoldedConvolution? Fold { get; }

    /// <summary>The weights every forward reads: the fold's, or the convolution's own parameter.</summary>
    public Tensor Weight { get; }

    /// <summary>The bias every forward adds (the fold's, or the convolution's own; null when it has none).</summary>
    public Tensor? Bias { get; }

    /// <summary>The kernel-ready form of <see cref="Weight"/>, or null where the backend has none (a device).</summary>
    public PackedWeights? Packed { get; }

    /// <summary>The input shape it was prepared at (the plan's shape pass): the kernel choice depends on it.</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Whether a pipeline runs a ReLU right after it (after its batch norm when folded), which then runs in its store.</summary>
    public bool FusesRelu { get; internal set; }

    private PreparedConvolution(Conv2d conv, FoldedConvolution? fold, int[] inputShape)
    {
        Convolution = conv; Fold = fold; InputShape = inputShape;
        Weight = fold?.Weight ?? conv.Weight!;
        Bias = fold is null ? conv.Bias : fold.Bias;
        _conv = new SourceState(conv);
        _bn = fold is null ? null : new SourceState(fold.BatchNorm);
        Packed = F.PrepareConv2d(Weight, inputShape, conv.Stride, conv.Padding, conv.Groups);
    }

    /// <summary>"conv1+bn1" for a fold, else "conv1": the modules this step stands for.</summary>
    public string Name => Fold?.Name ?? Convolution.Label;

    /// <summary>
    /// Prepares <paramref name="conv"/> (folded with <paramref name="bn"/> when given) for inputs of
    /// <paramref name="inputShape"/>: folds, then makes the ready form of the weights the kernel chosen at that shape reads.
    /// </summary>
    public static PreparedConvolution Prepare(Conv2d conv, BatchNorm2d? bn, int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(conv);
        if (conv.Weight is null)
            throw new InvalidOperationException($"cannot prepare {conv.Describe()}: it is not materialised yet (call Build first)");
        if (conv.Weight.IsMeta)
            throw new InvalidOperationException($"cannot prepare {conv.Describe()}: the model is on the meta device (its weights have no values)");
        return new PreparedConvolution(conv, bn is null ? null : FoldedConvolution.Fold(conv, bn), inputShape);
    }

    /// <summary>
    /// conv(x) (bn folded in), or relu of it with <paramref name="relu"/> (in the convolution's store), from the prepared
    /// weights. Refuses weights that changed since the plan was made. A folded step also refuses a batch norm in training
    /// mode and a forward that records a graph (its gradients would be the fold's, not the parameters'); an unfolded one
    /// then runs as declared instead (F.Conv2d with the parameters, then the ReLU in place), as its gradients are the
    /// parameters' own.
    /// </summary>
    public Tensor Forward(Tensor x, bool relu)
    {
        if (Fold is { } fold)
        {
            if (fold.BatchNorm.Training)
                throw new InvalidOperationException(
                    $"{fold.BatchNorm.Describe()} is in training mode, but the inference plan folded its running statistics into {Convolution.Describe()}: " +
                    "call Eval() on the model, or run it outside the plan");
            if (Autograd.GradMode.IsEnabled)
                throw new InvalidOperationException(
                    $"the inference plan folds {Name} into one convolution, which has no gradient for the model's parameters: run it under GradMode.NoGrad()");
        }
        else if (Autograd.GradMode.IsEnabled || Convolution.Training) return AsDeclared(x, relu);
        _conv.Check(Convolution, "weights");
        _bn?.Check(Fold!.BatchNorm, "running statistics and affine parameters");
        try { return F.Conv2dForInference(x, Weight, Bias, Convolution.Stride, Convolution.Padding, Convolution.Groups, Packed, relu); }
        catch (ArgumentException e) when (e is not ShapeException) { throw Located(e); }
    }

    /// <summary>The convolution and its ReLU as the model declares them (a forward that records a graph, or in training mode).</summary>
    private Tensor AsDeclared(Tensor x, bool relu)
    {
        Tensor y;
        try { y = F.Conv2d(x, Convolution.Weight!, Convolution.Bias, Convolution.Stride, Convolution.Padding, Convolution.Groups); }
        catch (ArgumentException e) when (e is not ShapeException) { throw Located(e); }
        if (!relu) return y;
        var activated = F.ReluConsuming(y); // in place: a view of y's buffer, which y's own reference must not keep
        if (!ReferenceEquals(activated, y)) Module.Done(y);
        return activated;
    }

    /// <summary>A kernel's argument error, named after the model's convolution (as the layer's own forward names it).</summary>
    private ShapeException Located(ArgumentException e) => new($"{Convolution.Describe()}: {e.Message}", e);

    /// <summary>A module's parameter and buffer tensors and its state version when the plan read them.</summary>
    private sealed class SourceState(Module module)
    {
        private readonly Tensor[] _tensors = module.StateDict().Select(s => s.Value).ToArray();
        private readonly int _version = module.StateVersion;

        /// <summary>One comparison per forward; the tensors are compared only to say what changed.</summary>
        public void Check(Module m, string what)
        {
            if (m.StateVersion == _version) return;
            var now = m.StateDict();
            bool replaced = now.Count != _tensors.Length || now.Where((s, i) => !ReferenceEquals(s.Value, _tensors[i])).Any();
            throw new InvalidOperationException(replaced
                ? $"{m.Describe()}: a parameter or buffer tensor was replaced after the inference plan prepared its {what}: make a new plan (InferencePlan.Create)"
                : $"{m.Describe()}: a state dict was loaded or training mode entered after the inference plan prepared its {what}, so they may have changed: make a new plan (InferencePlan.Create)");
        }
    }
}
