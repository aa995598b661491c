using NetBlocks.Analysis;
using NetBlocks.Training;

namespace NetBlocks.Workflows;

/// <summary>
/// What `train` says when a run does not fit in memory: what it needs (the shape analysis' estimate: parameters,
/// gradients, momentum, saved activations and the widest backward step), what the machine or container allows, and
/// which options to change. The estimate counts tensors only, so a run needs at least that much.
/// </summary>
public static class TrainingMemory
{
    /// <summary>Refused up front: even the estimate exceeds what is available.</summary>
    public static string TooLarge(TrainingSettings s, int batch, MemoryEstimate m, MemoryBudget budget) =>
        $"not enough memory to train {s.Model} at {s.Resize}×{s.Resize} with batch {batch}: it needs at least {MemoryBudget.Format(m.TrainingBytes)} " +
        $"({Breakdown(m)}), but only {MemoryBudget.Format(budget.AvailableBytes)} is available ({budget.Source}). {Advice(s, batch, m, budget.AvailableBytes)}";

    /// <summary>An allocation failed while training (the estimate fitted, the real run did not).</summary>
    public static string RanOut(TrainingSettings s, MemoryEstimate m, MemoryBudget budget) =>
        $"out of memory training {s.Model} at {s.Resize}×{s.Resize} with batch {s.Batch}: the estimate is {MemoryBudget.Format(m.TrainingBytes)} " +
        $"({Breakdown(m)}) plus the data and the runtime, and {MemoryBudget.Format(budget.AvailableBytes)} is available now ({budget.Source}). " +
        Advice(s, m.Batch, m, budget.AvailableBytes * 3 / 4);

    /// <summary>The weights alone could not be allocated.</summary>
    public static string ParametersDoNotFit(TrainingSettings s) =>
        $"out of memory building {s.Model} for {s.Resize}×{s.Resize} inputs: its parameters alone do not fit " +
        $"(`netblocks summary {s.Model} --input 1,{s.Resize},{s.Resize}` counts them). Use a smaller --resize or a smaller model.";

    private static string Breakdown(MemoryEstimate m) =>
        $"weights, gradients and momentum {MemoryBudget.Format(m.ParamsBytes + m.BuffersBytes + m.GradientsBytes + m.OptimizerBytes)}, " +
        $"activations {MemoryBudget.Format(m.SavedActivationBytes + m.TrainingTransientBytes)} for the batch";

    /// <summary>The batch that would fit (activations scale with it), or else a smaller --resize.</summary>
    private static string Advice(TrainingSettings s, int batch, MemoryEstimate m, long available)
    {
        long fixedBytes = m.ParamsBytes + m.BuffersBytes + m.GradientsBytes + m.OptimizerBytes;
        long perImage = Math.Max(1, (m.SavedActivationBytes + m.TrainingTransientBytes) / Math.Max(1, batch));
        long fits = (available - fixedBytes) / perImage;
        return fits >= 1
            ? $"Lower --batch (about {Math.Min(fits, batch - 1)} fits) or --resize (now {s.Resize})."
            : $"Even one image does not fit at {s.Resize}×{s.Resize}: lower --resize (now {s.Resize}) or use a smaller model.";
    }
}
