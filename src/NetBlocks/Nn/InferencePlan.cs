namespace NetBlocks.Nn;

/// <summary>
/// The inference-only rewrites of an eval-mode model, made once and applied while the plan is in force
/// (<see cref="Enter"/>): every <see cref="Conv2d"/> the model runs becomes a <see cref="PreparedConvolution"/>, whose
/// weights are ready for the kernel once and for all (the CPU's packed or Winograd-transformed layout, made when the
/// plan is); a convolution that a <see cref="Pipeline"/> runs directly before a <see cref="BatchNorm2d"/> is folded with
/// it into one convolution (<see cref="FoldedConvolution"/>); and a ReLU that a pipeline runs right after a convolution
/// (or after its folded batch norm) runs in the convolution's store. The model itself is not changed: its parameters,
/// buffers and state dict stay as they were, training and checkpoints see nothing of the plan, and outside
/// <see cref="Enter"/> the model runs as declared.
/// <para>
/// <see cref="Create"/> finds the convolutions, pairs and ReLUs with one shape pass (a meta forward, in which each
/// convolution reports its input shape and each pipeline the pairs it would fuse) and prepares their weights then; a
/// forward in force reads them. The kernel is chosen per call from the actual input's shape, so a forward at another
/// shape is still right (a kernel the plan's shape did not choose makes its ready form once, on first use).
/// </para>
/// <para>
/// A plan describes the weights it was made from: make a new one after loading others. A prepared convolution refuses to
/// run once a module it read holds another tensor, has had a state dict loaded, or went back to training mode
/// (<see cref="Module.StateVersion"/>); a write into a parameter by other means (<c>CopyFrom</c>) is not seen, so make a
/// new plan after that too. <see cref="Create"/> refuses a model in training mode, and a folded step refuses to run
/// with gradient recording on or once its batch norm is back in training mode.
/// </para>
/// </summary>
public sealed class InferencePlan
{
    private readonly Dictionary<Conv2d, PreparedConvolution> _prepared;

    /// <summary>The model the plan was made for.</summary>
    public Module Model { get; }

    /// <summary>Every convolution the model runs, prepared, in the order the forward reaches them.</summary>
    public IReadOnlyList<PreparedConvolution> Convolutions { get; }

    /// <summary>The folded convolutions, in the order the forward reaches them.</summary>
    public IReadOnlyList<FoldedConvolution> Folds { get; }

    /// <summary>
    /// How many convolutions hold a kernel-ready form of their weights (the direct or 1×1 kernel's packing or Winograd's
    /// transform; none for im2col + GEMM, none on a device), as of now: a forward at another shape may add one.
    /// </summary>
    public int PackedConvolutions => Convolutions.Count(c => c.Packed is { HasAny: true });

    /// <summary>How many ReLUs run in their convolution's store.</summary>
    public int FusedRelus => Convolutions.Count(c => c.FusesRelu);

    /// <summary>"12 convolution(s) prepared (weights packed once), 4 folded with their batch norm, 11 ReLU(s) in the convolution's store".</summary>
    public string Summary =>
        $"{Convolutions.Count} convolution(s) prepared ({PackedConvolutions} with weights packed once), {Folds.Count} folded with their batch norm, " +
        $"{FusedRelus} ReLU(s) in the convolution's store";

    private InferencePlan(Module model, List<PreparedConvolution> prepared)
    {
        Model = model; Convolutions = prepared;
        Folds = prepared.Where(p => p.Fold is not null).Select(p => p.Fold!).ToList();
        _prepared = prepared.ToDictionary(p => p.Convolution);
    }

    [ThreadStatic] private static InferencePlan? t_current;
    [ThreadStatic] private static Tracing? t_tracing;

    /// <summary>What the shape pass reports: each convolution's first input shape, the pairs, the convolutions followed by a ReLU.</summary>
    private sealed class Tracing
    {
        public readonly List<(Conv2d Conv, int[] InputShape)> Convolutions = new();
        public readonly Dictionary<Conv2d, BatchNorm2d> Pairs = new();
        public readonly HashSet<Conv2d> Relus = new();
    }

    /// <summary>The plan in force on this thread, or null (the model runs as declared).</summary>
    internal static InferencePlan? Current => t_current;

    /// <summary>
    /// Makes the plan of an eval-mode, materialised <paramref name="model"/> for inputs of <paramref name="inputShape"/>
    /// (the shape pass runs at that shape, and each convolution's weights are made ready for the kernel a forward at
    /// that shape chooses, under the context in force; the plan then serves any input the model accepts).
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
        var tracing = new Tracing();
        var previous = t_tracing;
        t_tracing = tracing;
        try { model.Build(inputShape); }
        finally { t_tracing = previous; }
        var prepared = new List<PreparedConvolution>();
        var seen = new HashSet<Conv2d>();
        foreach (var (conv, shape) in tracing.Convolutions)
        {
            if (!seen.Add(conv)) continue;
            var p = PreparedConvolution.Prepare(conv, tracing.Pairs.GetValueOrDefault(conv), shape);
            p.FusesRelu = tracing.Relus.Contains(conv);
            prepared.Add(p);
        }
        return new InferencePlan(model, prepared);
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

    /// <summary>Called by a convolution's forward during <see cref="Create"/>'s shape pass with the shape it sees.</summary>
    internal static void TraceConvolution(Conv2d conv, int[] inputShape) => t_tracing?.Convolutions.Add((conv, inputShape));

    /// <summary>
    /// Called by a pipeline during <see cref="Create"/>'s shape pass for each convolution it runs right before a batch norm
    /// (<paramref name="bn"/>) and/or a ReLU (<paramref name="relu"/>), before the convolution's own forward reports it.
    /// A convolution paired with a batch norm by one pipeline keeps that pair.
    /// </summary>
    internal static void Trace(Conv2d conv, BatchNorm2d? bn, bool relu)
    {
        if (t_tracing is not { } tracing) return;
        if (bn is not null) tracing.Pairs.TryAdd(conv, bn);
        if (relu && (bn is null ? !tracing.Pairs.ContainsKey(conv) : ReferenceEquals(tracing.Pairs[conv], bn))) tracing.Relus.Add(conv);
    }

    /// <summary>
    /// The prepared form of conv followed by bn (null: conv on its own), when this plan made one for exactly that: a
    /// folded convolution is not a plain one, nor the other way round.
    /// </summary>
    internal PreparedConvolution? Find(Conv2d conv, BatchNorm2d? bn) =>
        _prepared.TryGetValue(conv, out var p) && ReferenceEquals(p.Fold?.BatchNorm, bn) ? p : null;
}
