using NetBlocks.Data;
using NetBlocks.Training;

namespace NetBlocks.Workflows;

/// <summary>Fashion-MNIST loaders for a run's settings: d2l's FashionMNIST(batch_size, resize) plus the options NetBlocks adds.</summary>
public static class FashionMnistData
{
    /// <summary>The dataset for `train`, `eval` and `predict` (<paramref name="dataDir"/>: --data; null: the default places).</summary>
    public static FashionMnist Load(string? dataDir, bool verifyHashes)
    {
        if (dataDir is not null && File.Exists(dataDir))
            throw new ArgumentException($"--data {dataDir} is a file; give the folder that holds the four Fashion-MNIST IDX files");
        return FashionMnist.Load(dataDir, new DataOptions { VerifyHashes = verifyHashes });
    }

    public static ImageTransform Transform(TrainingSettings s, bool training) =>
        ImageTransform.Resize(s.Resize) with
        {
            CropPadding = training && s.Augment ? Math.Max(1, s.Resize / 7) : 0,
            HorizontalFlip = training && s.Augment,
        };

    public static (LoaderBatchSource Train, LoaderBatchSource Val) Loaders(FashionMnist data, TrainingSettings s)
    {
        var train = new DataLoader(data.Train, new DataLoaderOptions
        {
            BatchSize = s.Batch, Shuffle = true, Seed = s.Seed, Transform = Transform(s, training: true),
            Limit = s.LimitTrain > 0 ? s.LimitTrain : null,
        });
        var val = new DataLoader(data.Test, new DataLoaderOptions
        {
            BatchSize = s.Batch, Shuffle = false, Seed = s.Seed, Transform = Transform(s, training: false),
            Limit = s.LimitVal > 0 ? s.LimitVal : null,
        });
        return (new LoaderBatchSource(train), new LoaderBatchSource(val));
    }
}
