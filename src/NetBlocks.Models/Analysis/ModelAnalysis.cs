using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Analysis;

/// <summary>
/// One module of the tree (every module, containers included), in PyTorch's named_modules order.
/// <paramref name="Name"/> is the dotted path ("0.0", "stage1.0.conv2"); <paramref name="Depth"/> is 1 for the root's
/// children. Shapes include the batch; null when the shape pass never reached the module.
/// <paramref name="OwnParams"/>: parameters registered on the module itself; <paramref name="Params"/>: with everything below.
/// <paramref name="Macs"/>: multiply-accumulates of the convolutions and linear layers in the module (itself included).
/// </summary>
public sealed record LayerInfo(
    string Name, string Type, int Depth, int[]? Input, int[]? Output, long OwnParams, long Params, long Macs, LayerKind Kind)
{
    /// <summary>Elements of the output (the layer's activation size); 0 when unknown.</summary>
    public long OutputElements => Output is null ? 0 : LayerCosts.Numel(Output);
}

/// <summary>
/// Costs of a model for one input shape, computed from the shapes of the shape pass without running the network.
/// Parameters are what PyTorch counts as parameters; buffers (batch-norm running statistics) are reported apart.
/// </summary>
public sealed record ModelAnalysis(
    string Model,
    int[] Input,
    int[] Output,
    IReadOnlyList<LayerInfo> Layers,
    long Params,
    long TrainableParams,
    long Buffers,
    long ConvParams,
    long FcParams,
    long Macs,
    long ConvMacs,
    long FcMacs,
    long Activations,
    MemoryEstimate Memory)
{
    /// <summary>Parameters with RequiresGrad off (frozen); 0 unless someone froze a layer.</summary>
    public long NonTrainableParams => Params - TrainableParams;

    /// <summary>Parameters outside convolutions and linear layers (batch-norm γ and β).</summary>
    public long OtherParams => Params - ConvParams - FcParams;

    /// <summary>2 · MACs: a multiply and an add each.</summary>
    public long Flops => checked(2 * Macs);

    /// <summary>The rows down to <paramref name="depth"/> (1: the root's children), in tree order.</summary>
    public IEnumerable<LayerInfo> LayersToDepth(int depth) => Layers.Where(l => l.Depth <= depth);
}

/// <summary>Analyses a model from its shape pass: per-layer shapes, parameters, MACs, and totals with a memory estimate.</summary>
public static class ModelAnalyzer
{
    /// <summary>
    /// Runs the shape pass of <paramref name="model"/> for <paramref name="input"/> (batch first, e.g. N, C, H, W),
    /// materialising lazy layers, and computes every cost from the recorded shapes. Shape errors propagate as
    /// <see cref="ShapeException"/> naming the layer that cannot take its input.
    /// </summary>
    public static ModelAnalysis Analyze(Module model, int[] input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length == 0 || input.Any(d => d < 1))
            throw new ArgumentException($"input shape must have positive sizes, got {ShapeUtil.Format(input)}");
        var trace = ShapeTrace.Run(model, input);
        try { return Costs(model, trace, name); }
        catch (OverflowException)
        {
            throw new ArgumentException($"{name ?? model.TypeName} at input {ShapeUtil.Format(input)}: the total costs (MACs, activations or bytes) exceed a 64-bit count");
        }
    }

    /// <summary>Every count from the recorded shapes, in checked 64-bit arithmetic (sums of longs overflow with an <see cref="OverflowException"/>).</summary>
    private static ModelAnalysis Costs(Module model, ShapeTrace trace, string? name)
    {
        var macs = new Dictionary<ShapeCall, long>(ReferenceEqualityComparer.Instance);

        long MacsOf(ShapeCall call)
        {
            if (macs.TryGetValue(call, out var m)) return m;
            var kids = trace.ChildCalls(call);
            m = kids.Count == 0 ? LayerCosts.Of(call.Module, call.Input, call.Output).Macs : kids.Sum(MacsOf);
            return macs[call] = m;
        }

        var callsOf = new Dictionary<Module, List<ShapeCall>>(ReferenceEqualityComparer.Instance);
        foreach (var c in trace.Calls)
            if (!ReferenceEquals(c.Module, model))
                (callsOf.TryGetValue(c.Module, out var l) ? l : callsOf[c.Module] = new()).Add(c);
        var occurrences = new Dictionary<Module, int>(ReferenceEqualityComparer.Instance);
        foreach (var (_, m) in model.NamedModules()) occurrences[m] = occurrences.GetValueOrDefault(m) + 1;
        var seenOccurrence = new Dictionary<Module, int>(ReferenceEqualityComparer.Instance);

        var layers = new List<LayerInfo>();
        foreach (var (path, module) in model.NamedModules())
        {
            var calls = callsOf.GetValueOrDefault(module) ?? [];
            int k = seenOccurrence[module] = seenOccurrence.GetValueOrDefault(module) + 1;
            // a module placed once but run several times (a shared activation) sums its runs; placed n times, each place gets one run
            var mine = occurrences[module] == 1 ? calls : calls.Skip(k - 1).Take(1).ToList();
            long total = CountParams(module);
            long own = total - module.Children.Sum(c => CountParams(c.Module));
            layers.Add(new LayerInfo(path, module.TypeName, path.Count(ch => ch == '.') + 1,
                mine.FirstOrDefault()?.Input, mine.FirstOrDefault()?.Output, own, total, mine.Sum(MacsOf), LayerCosts.KindOf(module)));
        }

        var leafCalls = trace.Calls.Where(c => trace.ChildCalls(c).Count == 0)
            .Select(c => (Call: c, Cost: LayerCosts.Of(c.Module, c.Input, c.Output))).ToList();
        var parameters = DistinctParameters(model).ToList();
        var modules = model.NamedModules().Select(m => m.Module).Prepend(model).Distinct(ReferenceEqualityComparer.Instance).Cast<Module>().ToList();
        long paramCount = parameters.Sum(p => (long)p.Numel);
        long trainable = parameters.Where(p => p.RequiresGrad).Sum(p => (long)p.Numel);
        long buffers = model.NamedBuffers().Select(b => b.Buffer).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().Sum(b => (long)b.Numel);

        return new ModelAnalysis(
            Model: name ?? model.TypeName,
            Input: (int[])trace.Root.Input.Clone(),
            Output: (int[])trace.Root.Output.Clone(),
            Layers: layers,
            Params: paramCount,
            TrainableParams: trainable,
            Buffers: buffers,
            ConvParams: modules.Where(m => m is Conv2d).Sum(CountParams),
            FcParams: modules.Where(m => m is Linear).Sum(CountParams),
            Macs: MacsOf(trace.Root),
            ConvMacs: leafCalls.Where(l => l.Cost.Kind == LayerKind.Conv).Sum(l => l.Cost.Macs),
            FcMacs: leafCalls.Where(l => l.Cost.Kind == LayerKind.FullyConnected).Sum(l => l.Cost.Macs),
            Activations: leafCalls.Where(l => l.Cost.Kind != LayerKind.Other).Sum(l => LayerCosts.Numel(l.Call.Output)),
            Memory: MemoryEstimate.From(trace, paramCount, trainable, buffers));
    }

    private static long CountParams(Module m) => DistinctParameters(m).Sum(p => (long)p.Numel);

    private static IEnumerable<Tensor> DistinctParameters(Module m) =>
        m.Parameters().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>();
}
