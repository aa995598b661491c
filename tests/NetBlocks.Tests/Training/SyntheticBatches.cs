using NetBlocks.Tensors;
using NetBlocks.Training;

namespace NetBlocks.Tests.Training;

/// <summary>
/// A tiny learnable dataset in memory: 1×8×8 images whose class (0..2) decides which third of the rows is bright,
/// plus noise. Shuffled per epoch from (seed, epoch), like the real loader.
/// </summary>
public sealed class SyntheticBatches : IBatchSource
{
    private readonly float[][] _images;
    private readonly int[] _labels;
    private readonly int _batch;
    private readonly ulong _seed;
    private readonly bool _shuffle;

    public SyntheticBatches(int count, int batch, ulong seed, bool shuffle = true, ulong dataSeed = 99)
    {
        var g = new RandomGenerator(dataSeed);
        _images = new float[count][];
        _labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % 3;
            var img = new float[64];
            for (int p = 0; p < 64; p++) img[p] = (float)(g.NextNormal() * 0.3 + (p / 8 * 3 / 8 == label ? 1.0 : 0.0));
            _images[i] = img;
            _labels[i] = label;
        }
        _batch = batch; _seed = seed; _shuffle = shuffle;
    }

    public int Count => _labels.Length;
    public int BatchesPerEpoch => (Count + _batch - 1) / _batch;

    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0)
    {
        var order = _shuffle ? new RandomGenerator(_seed * 1000003UL + (ulong)epoch).Permutation(Count) : Enumerable.Range(0, Count).ToArray();
        for (int b = startBatch; b < BatchesPerEpoch; b++)
        {
            int start = b * _batch, n = Math.Min(_batch, Count - start);
            var x = Tensor.Empty(n, 1, 8, 8);
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                _images[order[start + i]].CopyTo(x.Span.Slice(i * 64, 64));
                labels[i] = _labels[order[start + i]];
            }
            yield return new Batch(x, labels);
        }
    }
}
