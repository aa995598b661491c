using NetBlocks.Data;
using Xunit.Abstractions;

namespace NetBlocks.Tests.Data;

/// <summary>
/// Checks on the real Fashion-MNIST when a copy is around (/work/shared/data/fashion-mnist, or shared/data/fashion-mnist
/// next to the repository clone, or $NETBLOCKS_DATA). Without one these tests pass with a note: the core tests never
/// need the dataset.
/// </summary>
public sealed class RealFashionMnistTests(ITestOutputHelper output)
{
    private static readonly Lazy<string?> Dir = new(Find);
    private static readonly Lazy<FashionMnist?> Loaded = new(() =>
        Dir.Value is string d ? FashionMnist.Load(d, new DataOptions { Download = false, Log = TextWriter.Null }) : null);

    private static string? Find()
    {
        var candidates = new List<string> { "/work/shared/data/fashion-mnist" };
        if (Environment.GetEnvironmentVariable(DataOptions.EnvironmentVariable) is { Length: > 0 } env) candidates.Insert(0, env);
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            candidates.Add(Path.Combine(d.FullName, "shared", "data", "fashion-mnist"));
        return candidates.FirstOrDefault(c => FashionMnist.Source.Files.All(f => DataFiles.FindFile(FashionMnist.Source, c, f) is not null));
    }

    private FashionMnist? Data()
    {
        if (Loaded.Value is null) output.WriteLine("Fashion-MNIST not found next to the repository: skipped.");
        return Loaded.Value;
    }

    [Fact]
    public void Counts_Shapes_AndBalancedLabels()
    {
        if (Data() is not { } data) return;
        Assert.Equal((60000, 28, 28), (data.Train.Count, data.Train.Height, data.Train.Width));
        Assert.Equal((10000, 28, 28), (data.Test.Count, data.Test.Height, data.Test.Width));
        Assert.Equal(Enumerable.Repeat(6000, 10), data.Train.LabelHistogram());
        Assert.Equal(Enumerable.Repeat(1000, 10), data.Test.LabelHistogram());
        Assert.Equal("ankle boot", FashionMnist.TextLabel(data.Train.Labels[0]));   // the famous first image
    }

    [Fact]
    public void FirstBatchAt224_LooksLikeD2l()
    {
        if (Data() is not { } data) return;
        using var loader = new DataLoader(data.Train, new DataLoaderOptions { Transform = ImageTransform.Resize(224), Prefetch = 0 });
        var b = loader.GetBatch(0, 0);
        Assert.Equal([128, 1, 224, 224], b.Images.Shape.ToArray());
        float min = float.MaxValue, max = float.MinValue;
        double sum = 0;
        foreach (var v in b.Images.Span) { min = Math.Min(min, v); max = Math.Max(max, v); sum += v; }
        Assert.Equal(0f, min);
        Assert.True(max > 0.99f);
        Assert.InRange(sum / b.Images.Numel, 0.2, 0.4);   // Fashion-MNIST's mean pixel is 0.286
    }
}
