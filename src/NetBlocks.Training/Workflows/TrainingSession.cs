using NetBlocks.Data;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Training;

namespace NetBlocks.Workflows;

/// <summary>
/// What one training needs, assembled from its settings in one way for `netblocks train` and for a sweep trial: the
/// Fashion-MNIST loaders (<see cref="FashionMnistData.Loaders"/>), this thread's generator reseeded with the settings'
/// seed, then the model from the zoo built for the settings' batch and input size, so that the same settings give the
/// same initial weights and batches wherever they are trained. Owns the loaders.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private TrainingSession(TrainingSettings settings, LoaderBatchSource train, LoaderBatchSource val, Module model)
    {
        Settings = settings;
        Train = train;
        Val = val;
        Model = model;
    }

    public TrainingSettings Settings { get; }
    public LoaderBatchSource Train { get; }
    public LoaderBatchSource Val { get; }
    public Module Model { get; }

    /// <summary>The loaders and the built model for <paramref name="settings"/>; nothing is left open if building fails.</summary>
    public static TrainingSession Create(FashionMnist data, TrainingSettings settings)
    {
        var (train, val) = FashionMnistData.Loaders(data, settings);
        try
        {
            RandomGenerator.ManualSeed(settings.Seed);
            var model = ModelZoo.CreateBuilt(settings.Model, [settings.Batch, 1, settings.Resize, settings.Resize], new ModelOptions(1, settings.Classes));
            return new TrainingSession(settings, train, val, model);
        }
        catch
        {
            train.Dispose();
            val.Dispose();
            throw;
        }
    }

    /// <summary>A trainer for this session's model and settings.</summary>
    public Trainer Trainer(ITrainingObserver? observer = null) => new(Model, Settings, observer);

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
    }
}
