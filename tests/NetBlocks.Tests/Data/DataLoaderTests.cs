using NetBlocks.Data;
using static NetBlocks.Tests.Data.DataTestSupport;

namespace NetBlocks.Tests.Data;

public sealed class DataLoaderTests
{
    private static readonly ImageDataset Data = Dataset(300);

    private static DataLoader Loader(int batch = 128, ulong seed = 1, int prefetch = 0, int workers = 0,
                                     ImageTransform? transform = null, int? limit = null, bool shuffle = true) =>
        new(Data, new DataLoaderOptions
        {
            BatchSize = batch, Seed = seed, Prefetch = prefetch, Workers = workers,
            Transform = transform ?? new ImageTransform(), Limit = limit, Shuffle = shuffle,
        });

    /// <summary>Pixel 0 of each synthetic image encodes its index mod 251 (see DataTestSupport.Synthetic).</summary>
    private static void AssertBatchMatchesIndices(ImageBatch b)
    {
        var x = b.Images.Span;
        int per = b.Images.Numel / b.Size;
        for (int i = 0; i < b.Size; i++)
        {
            Assert.Equal((b.Indices[i] % 251) / 255f, x[i * per]);
            Assert.Equal(Data.Labels[b.Indices[i]], b.Labels[i]);
        }
    }

    [Fact]
    public void Batches_HaveD2lShapes_AndKeepTheLastPartialBatch()
    {
        using var loader = Loader(batch: 128);
        Assert.Equal(3, loader.BatchesPerEpoch);
        var batches = loader.Epoch(0).ToList();
        Assert.Equal([128, 128, 44], batches.Select(b => b.Size));
        Assert.Equal([128, 1, 28, 28], batches[0].Images.Shape.ToArray());
        Assert.Equal([44, 1, 28, 28], batches[2].Images.Shape.ToArray());
        Assert.Equal([0, 1, 2], batches.Select(b => b.Index));
        var seen = batches.SelectMany(b => b.Indices).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 300), seen);       // every sample exactly once
        batches.ForEach(AssertBatchMatchesIndices);
    }

    [Fact]
    public void Shuffle_IsReproducibleFromSeedAndEpoch_AndDiffersAcrossEpochsAndSeeds()
    {
        using var a = Loader(seed: 42);
        using var b = Loader(seed: 42);
        using var c = Loader(seed: 43);
        Assert.Equal(a.Order(0), b.Order(0));
        Assert.Equal(a.Order(5), b.Order(5));
        Assert.NotEqual(a.Order(0), a.Order(1));
        Assert.NotEqual(a.Order(0), c.Order(0));
        Assert.NotEqual(Enumerable.Range(0, 300), a.Order(0));
        // Asking for epochs in another order changes nothing: the order is a function of (seed, epoch).
        var e3 = b.Order(3);
        Assert.Equal(a.Order(3), e3);
    }

    [Fact]
    public void NoShuffle_ServesInDatasetOrder()
    {
        using var loader = Loader(shuffle: false, batch: 100);
        Assert.Equal(Enumerable.Range(0, 300), loader.Epoch(7).SelectMany(b => b.Indices));
    }

    [Fact]
    public void Limit_UsesTheFirstNSamples()
    {
        using var loader = Loader(limit: 50, batch: 16);
        Assert.Equal(50, loader.Count);
        Assert.Equal(4, loader.BatchesPerEpoch);
        var batches = loader.Epoch(0).ToList();
        Assert.Equal([16, 16, 16, 2], batches.Select(b => b.Size));
        Assert.Equal(Enumerable.Range(0, 50), batches.SelectMany(b => b.Indices).Order());
    }

    [Fact]
    public void Resize_ProducesTheRequestedResolution()
    {
        using var loader = Loader(batch: 8, limit: 8, transform: ImageTransform.Resize(96));
        var b = loader.GetBatch(0, 0);
        Assert.Equal([8, 1, 96, 96], b.Images.Shape.ToArray());
        var want = new float[96 * 96];
        new ImageTransform { Height = 96, Width = 96 }.Compile(28, 28).Apply(Data.Image(b.Indices[3]), want, new ImagePipeline.Scratch());
        Assert.Equal(want, b.Images.Span.Slice(3 * 96 * 96, 96 * 96).ToArray());
    }

    private static readonly ImageTransform Augmented = new()
    {
        Height = 40, Width = 40, CropPadding = 3, HorizontalFlip = true, Mean = 0.5f, Std = 0.25f,
    };

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(5, 2)]
    public void Prefetch_GivesBatchesIdenticalToTheSynchronousPath(int prefetch, int workers)
    {
        using var sync = Loader(batch: 32, seed: 9, transform: Augmented);
        using var pre = Loader(batch: 32, seed: 9, transform: Augmented, prefetch: prefetch, workers: workers);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var expected = sync.Epoch(epoch).ToList();
            var actual = pre.Epoch(epoch).ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Index, actual[i].Index);
                Assert.Equal(expected[i].Indices, actual[i].Indices);
                Assert.Equal(expected[i].Labels, actual[i].Labels);
                Assert.True(expected[i].Images.Span.SequenceEqual(actual[i].Images.Span), $"epoch {epoch} batch {i} differs");
            }
        }
    }

    [Fact]
    public void Augmentation_DependsOnSeedEpochAndBatch_NotOnTiming()
    {
        using var a = Loader(batch: 16, limit: 16, seed: 3, shuffle: false, transform: Augmented);
        var e0 = a.GetBatch(0, 0).Images.ToArray();
        Assert.Equal(e0, a.GetBatch(0, 0).Images.ToArray());
        Assert.NotEqual(e0, a.GetBatch(1, 0).Images.ToArray());      // same images, new epoch: new crops/flips
    }

    [Fact]
    public void StartAt_ResumesMidEpochWithTheSameBatches()
    {
        using var loader = Loader(batch: 40, seed: 5, transform: Augmented, prefetch: 2, workers: 2);
        var full = loader.Epoch(4).ToList();
        var resumed = loader.Epoch(4, startBatch: 3).ToList();
        Assert.Equal(full.Count - 3, resumed.Count);
        for (int i = 0; i < resumed.Count; i++)
        {
            Assert.Equal(full[i + 3].Index, resumed[i].Index);
            Assert.Equal(full[i + 3].Indices, resumed[i].Indices);
            Assert.Equal(full[i + 3].Images.ToArray(), resumed[i].Images.ToArray());
        }
        Assert.Empty(loader.Epoch(4, startBatch: loader.BatchesPerEpoch));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(4, startBatch: loader.BatchesPerEpoch + 1));
    }

    [Fact]
    public void BreakingOutOfAnEpoch_StopsAndJoinsTheWorkers()
    {
        using var loader = Loader(batch: 8, prefetch: 3, workers: 3, transform: ImageTransform.Resize(56));
        var e = (DataLoader.PrefetchEnumerator)loader.Epoch(0).GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.Equal(0, e.Current.Index);
        Assert.True(e.MoveNext());
        Assert.Equal(3, e.Workers.Count);
        e.Dispose();
        Assert.All(e.Workers, t => Assert.False(t.IsAlive));

        foreach (var b in loader.Epoch(1)) if (b.Index == 2) break;   // foreach disposes
    }

    [Fact]
    public void Cancellation_StopsTheEpoch_AndJoinsTheWorkers()
    {
        using var loader = Loader(batch: 4, prefetch: 2, workers: 2, transform: ImageTransform.Resize(56));
        using var cts = new CancellationTokenSource();
        var e = (DataLoader.PrefetchEnumerator)loader.Epoch(0, cancellationToken: cts.Token).GetEnumerator();
        Assert.True(e.MoveNext());
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => e.MoveNext());
        e.Dispose();
        Assert.All(e.Workers, t => Assert.False(t.IsAlive));
    }

    [Fact]
    public void DisposingTheLoader_StopsItsEpochs()
    {
        var loader = Loader(batch: 4, prefetch: 2, workers: 2);
        var e = (DataLoader.PrefetchEnumerator)loader.Epoch(0).GetEnumerator();
        Assert.True(e.MoveNext());
        loader.Dispose();
        Assert.All(e.Workers, t => Assert.False(t.IsAlive));
        Assert.Throws<ObjectDisposedException>(() => loader.Epoch(1));
    }

    [Fact]
    public void EndOfEpoch_JoinsTheWorkers()
    {
        using var loader = Loader(batch: 64, prefetch: 2, workers: 2);
        var e = (DataLoader.PrefetchEnumerator)loader.Epoch(0).GetEnumerator();
        int n = 0;
        while (e.MoveNext()) n++;
        Assert.Equal(5, n);
        Assert.All(e.Workers, t => Assert.False(t.IsAlive));
    }

    [Fact]
    public void DeriveSeed_SeparatesStreamsEpochsAndBatches()
    {
        var seeds = new HashSet<ulong>();
        for (ulong s = 0; s < 3; s++)
            for (ulong stream = 1; stream < 3; stream++)
                for (int e = 0; e < 5; e++)
                    for (int b = -1; b < 5; b++)
                        Assert.True(seeds.Add(DataLoader.DeriveSeed(s, stream, e, b)));
    }

    [Fact]
    public void BadOptions_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Data, new DataLoaderOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Data, new DataLoaderOptions { Prefetch = -1 }));
        using var loader = Loader();
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.GetBatch(0, 3));
    }
}
