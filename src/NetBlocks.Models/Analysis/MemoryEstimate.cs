namespace NetBlocks.Analysis;

/// <summary>
/// Memory in bytes (float32) for one batch, from the shapes alone. See docs/MODELS.md for the model behind each number.
/// </summary>
/// <param name="Batch">N, the batch the activations are counted for.</param>
/// <param name="ParamsBytes">4 · parameter elements.</param>
/// <param name="BuffersBytes">4 · buffer elements (batch-norm running statistics; not parameters).</param>
/// <param name="GradientsBytes">4 · trainable parameter elements: one gradient per trainable parameter.</param>
/// <param name="OptimizerBytes">4 · trainable parameter elements: SGD's momentum buffer.</param>
/// <param name="InferencePeakActivationBytes">The most bytes of tensors alive at once in an evaluation forward (each
/// tensor lives from the op that makes it to the last op that reads it) plus that op's kernel workspace.</param>
/// <param name="InferencePeakAt">The op where that peak occurs.</param>
/// <param name="SavedActivationBytes">What a training forward keeps for backward: each tensor some op saves, counted
/// once, plus indices, masks and batch statistics.</param>
/// <param name="TrainingTransientBytes">The widest backward step: the gradients of one op's output and inputs plus its
/// workspace.</param>
/// <param name="TrainingTransientAt">The op where that step occurs.</param>
public sealed record MemoryEstimate(
    int Batch,
    long ParamsBytes,
    long BuffersBytes,
    long GradientsBytes,
    long OptimizerBytes,
    long InferencePeakActivationBytes,
    string InferencePeakAt,
    long SavedActivationBytes,
    long TrainingTransientBytes,
    string TrainingTransientAt)
{
    /// <summary>params + buffers + the inference peak.</summary>
    public long InferenceBytes => checked(ParamsBytes + BuffersBytes + InferencePeakActivationBytes);

    /// <summary>params + buffers + gradients + momentum + saved activations + the largest transient.</summary>
    public long TrainingBytes => checked(ParamsBytes + BuffersBytes + GradientsBytes + OptimizerBytes + SavedActivationBytes + TrainingTransientBytes);

    /// <summary>The estimate for a model traced at batch <paramref name="batch"/>.</summary>
    public static MemoryEstimate From(ShapeTrace trace, long parameters, long trainable, long buffers)
    {
        var (peak, peakAt) = InferencePeak(ForwardGraph.From(trace, training: false));
        var train = ForwardGraph.From(trace, training: true);
        var (transient, transientAt) = LargestTransient(train);
        return new MemoryEstimate(trace.Root.Input[0], LayerCosts.Bytes(parameters), LayerCosts.Bytes(buffers), LayerCosts.Bytes(trainable), LayerCosts.Bytes(trainable),
            peak, peakAt, Saved(train), transient, transientAt);
    }

    /// <summary>max over ops k of Σ bytes of the tensors alive at k (made at or before k, read at or after k) + workspace(k).</summary>
    public static (long Bytes, string At) InferencePeak(ForwardGraph g)
    {
        int count = g.TensorElements.Count;
        var born = new int[count];
        var last = new int[count];
        Array.Fill(born, int.MaxValue);
        Array.Fill(last, -1);
        born[g.Input] = -1; // the caller's input exists before the first op
        for (int k = 0; k < g.Ops.Count; k++)
        {
            var op = g.Ops[k];
            foreach (var t in op.Inputs) last[t] = Math.Max(last[t], k);
            born[op.Output] = Math.Min(born[op.Output], k); // a view keeps its input's birth
            last[op.Output] = Math.Max(last[op.Output], k);
        }
        last[g.Output] = g.Ops.Count; // the caller receives the output
        long best = 0;
        string at = "";
        for (int k = 0; k < g.Ops.Count; k++)
        {
            long live = LayerCosts.Bytes(g.Ops[k].WorkspaceElements);
            for (int t = 0; t < count; t++)
                if (born[t] <= k && k <= last[t]) live = checked(live + LayerCosts.Bytes(g.TensorElements[t]));
            if (live > best) { best = live; at = g.Ops[k].Name; }
        }
        return (best, at);
    }

    /// <summary>Σ bytes of the distinct tensors saved by some op + every op's extra saved bytes.</summary>
    public static long Saved(ForwardGraph g)
    {
        var saved = new HashSet<int>();
        long extra = 0;
        foreach (var op in g.Ops)
        {
            if (op.Saves.HasFlag(Saves.Input)) saved.UnionWith(op.Inputs);
            if (op.Saves.HasFlag(Saves.Output)) saved.Add(op.Output);
            extra = checked(extra + op.ExtraSavedBytes);
        }
        return checked(LayerCosts.Bytes(saved.Sum(t => g.TensorElements[t])) + extra);
    }

    /// <summary>max over ops of (Σ distinct input bytes + new output bytes + workspace bytes).</summary>
    public static (long Bytes, string At) LargestTransient(ForwardGraph g)
    {
        long best = 0;
        string at = "";
        foreach (var op in g.Ops)
        {
            var inputs = op.Inputs.Distinct().ToArray();
            long bytes = checked(LayerCosts.Bytes(inputs.Sum(t => g.TensorElements[t])) + LayerCosts.Bytes(op.WorkspaceElements));
            if (!inputs.Contains(op.Output)) bytes = checked(bytes + LayerCosts.Bytes(g.TensorElements[op.Output]));
            if (bytes > best) { best = bytes; at = op.Name; }
        }
        return (best, at);
    }
}
