using NetBlocks.Data;
using NetBlocks.Models;
using NetBlocks.Tests.Analysis;
using NetBlocks.Tests.Cli;
using NetBlocks.Training;
using NetBlocks.Workflows;

namespace NetBlocks.Tests.Workflows;

/// <summary>The one way `train` and a sweep trial assemble loaders, seed and model from their settings.</summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class TrainingSessionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-session-").FullName;
    private readonly ExecutionContext _context = new(Settings().Threads);

    public void Dispose()
    {
        _context.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private FashionMnist Data() => FashionMnist.Load(TinyFashionMnist.Create(Path.Combine(_dir, "data"), train: 40, test: 20), new DataOptions { VerifyHashes = false });

    private static TrainingSettings Settings(ulong seed = 7) => new()
    {
        Model = "mlp:32", Resize = 16, Batch = 8, Seed = seed, LimitTrain = 24, LimitVal = 12, Classes = 10, Augment = true,
    };

    private static float[] Weights(TrainingSession s) => [.. s.Model.StateDict().SelectMany(p => p.Value.ToArray())];
    private static float[] FirstImages(TrainingSession s) => s.Train.Epoch(0).First().Images.ToArray();

    [Fact]
    public void The_same_settings_give_the_same_weights_and_batches_and_another_seed_other_ones()
    {
        var data = Data();
        using var a = TrainingSession.Create(data, Settings(), _context);
        using var b = TrainingSession.Create(data, Settings(), _context);
        using var c = TrainingSession.Create(data, Settings(seed: 8), _context);
        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(FirstImages(a), FirstImages(b));
        Assert.NotEqual(Weights(a), Weights(c));
    }

    [Fact]
    public void The_loaders_and_model_follow_the_settings()
    {
        using var session = TrainingSession.Create(Data(), Settings(), _context);
        Assert.Equal(24, session.Train.Count);
        Assert.Equal(12, session.Val.Count);
        Assert.Equal(3, session.Train.BatchesPerEpoch);
        Assert.Equal([8, 1, 16, 16], session.Train.Epoch(0).First().Images.Shape.ToArray());
        Assert.Equal([8, 10], session.Model.Build(8, 1, 16, 16));
        Assert.Same(session.Model, session.Trainer().Model);
    }

    [Fact]
    public void A_model_the_zoo_refuses_fails_with_the_zoos_message()
    {
        var settings = Settings() with { Model = "nosuchnet" };
        var expected = Assert.ThrowsAny<Exception>(() => ModelZoo.CreateBuilt("nosuchnet", [8, 1, 16, 16], new ModelOptions(1, 10)));
        var e = Assert.ThrowsAny<Exception>(() => TrainingSession.Create(Data(), settings, _context));
        Assert.StartsWith("unknown model 'nosuchnet' (`netblocks models` lists the presets;", e.Message, StringComparison.Ordinal);
        Assert.Equal(expected.GetType(), e.GetType());
        Assert.Equal(expected.Message, e.Message);
    }
}
