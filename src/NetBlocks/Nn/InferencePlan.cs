namespace NetBlocks.Nn;

/// <summary>
/// The inference-only rewrites of an eval-mode model, made once and applied while the plan is in force
/// (<see cref="Enter"/>): every <see cref="Conv2d"/> that a <see cref="Pipeline"/> runs directly before a
/// <see cref="BatchNorm2d"/> runs as one <see cref="FoldedConvolution"/>, with the ReLU that follows the batch norm (if
/// any) in place on its output. The model itself is not changed: its parameters, buffers and state dict stay as they
/// were, training and checkpoints see nothing of the plan, and outside <see cref="Enter"/> the model runs unfolded.
/// <para>
/// <see cref="Create"/> finds the pairs with one shape pass (a meta forward, in which each pipeline reports the pairs it
/// would fold) and folds their weights then; a forward in force reads them. A plan describes the weights it was made
/// from: make a new one after loading others. It refuses a model in training mode, and a folded step refuses to run
/// with gradient recording on or once its batch norm is back in training mode.
/// </para>
/// </summary>
public sealed class InferencePlan
{
    private readonly Dictionary<Conv2d, FoldedConvolution> _folds;

    /// <summary>The model the plan was made for.</summary>
    public Module Model { get; }

    /// <summary>The folded convolutions, in the order the forward reaches them.</summary>
    public IReadOnlyList<FoldedConvolution> Folds { get; }

    private InferencePlan(Module model, List<FoldedConvolution> folds)
    {
        Model = model; Folds = folds;
        _folds = folds.ToDictionary(f => f.Convolution);
    }

    [ThreadStatic] private static InferencePlan? t_current;
    [ThreadStatic] private static List<(Conv2d, BatchNorm2d)>? t_tracing;

    /// <summary>The plan in force on this thread, or null (the model runs as declared).</summary>
    internal static InferencePlan? Current => t_current;

    /// <summary>
    /// Makes the plan of an eval-mode, materialised <paramref name="model"/> for inputs of <paramref name="inputShape"/>
    /// (the shape pass that finds the pairs runs at that shape; the plan then serves any input the model accepts).
    /// </summary>
    public static InferencePlan Create(Module model, params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        var inTraining = model.Training ? model : model.NamedModules().Select(m => m.Module).FirstOrDefault(m => m.Training);
        if (inTraining is not null)
            throw new InvalidOperationException(
                $"an inference plan folds batch norm with its running statistics, so it needs a model in eval mode: {inTraining.Describe()} is in training mode (call Eval() first)");
        if (!model.IsMaterialized)
            throw new InvalidOperationException($"{model.Describe()} has lazy layers that are not materialised yet: call Build(inputShape) before making an inference plan");
        var pairs = new List<(Conv2d, BatchNorm2d)>();
        var previous = t_tracing;
        t_tracing = pairs;
        try { model.Build(inputShape); }
        finally { t_tracing = previous; }
        var folds = new List<FoldedConvolution>();
        var seen = new HashSet<Conv2d>();
        foreach (var (conv, bn) in pairs)
        {
            if (!seen.Add(conv)) continue;
            folds.Add(FoldedConvolution.Fold(conv, bn));
        }
        return new InferencePlan(model, folds);
    }

    /// <summary>Puts this plan in force on this thread until the scope is disposed (scopes nest and restore the previous one).</summary>
    public Scope Enter()
    {
        var previous = t_current;
        t_current = this;
        return new Scope(previous);
    }

    /// <summary>The scope of <see cref="Enter"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly InferencePlan? _previous;
        internal Scope(InferencePlan? previous) => _previous = previous;
        public void Dispose() => t_current = _previous;
    }

    /// <summary>Called by a pipeline during <see cref="Create"/>'s shape pass for each convolution it runs right before a batch norm.</summary>
    internal static void Trace(Conv2d conv, BatchNorm2d bn) => t_tracing?.Add((conv, bn));

    /// <summary>The folded form of conv followed by bn, when this plan made one for exactly that pair.</summary>
    internal FoldedConvolution? Find(Conv2d conv, BatchNorm2d bn) =>
        _folds.TryGetValue(conv, out var f) && ReferenceEquals(f.BatchNorm, bn) ? f : null;
}
