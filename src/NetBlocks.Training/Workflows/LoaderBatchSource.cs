using NetBlocks.Data;
using NetBlocks.Training;

namespace NetBlocks.Workflows;

/// <summary>A <see cref="DataLoader"/> seen as the trainer's <see cref="IBatchSource"/>.</summary>
public sealed class LoaderBatchSource(DataLoader loader) : IBatchSource, IDisposable
{
    public DataLoader Loader { get; } = loader;
    public int Count => Loader.Count;
    public int BatchesPerEpoch => Loader.BatchesPerEpoch;

    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0)
    {
        foreach (var b in Loader.Epoch(epoch, startBatch)) yield return new Batch(b.Images, b.Labels);
    }

    public void Dispose() => Loader.Dispose();
}
