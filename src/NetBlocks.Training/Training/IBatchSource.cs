using NetBlocks.Tensors;

namespace NetBlocks.Training;

/// <summary>One mini-batch: images (B, C, H, W) owned by the consumer, and their integer labels.</summary>
public readonly record struct Batch(Tensor Images, int[] Labels);

/// <summary>
/// Batches of a dataset split, in an order fixed by (seed, epoch), so that a resumed run sees exactly the batches an
/// uninterrupted one would.
/// </summary>
public interface IBatchSource
{
    /// <summary>Number of examples per epoch.</summary>
    int Count { get; }

    /// <summary>Number of batches per epoch (the last partial batch included).</summary>
    int BatchesPerEpoch { get; }

    /// <summary>The batches of <paramref name="epoch"/> (0-based), starting at batch <paramref name="startBatch"/>.</summary>
    IEnumerable<Batch> Epoch(int epoch, int startBatch = 0);
}
