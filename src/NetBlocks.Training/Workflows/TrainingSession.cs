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
/// same initial weights and batches wherever they are trained. The model is built, and its trainer runs, under the
/// <see cref="ExecutionContext"/> the caller gives (made from the settings' thread count; the caller owns it), with its
/// parameters on the context's device (the initialisers draw on the host, so a device model starts from the CPU model's
/// weights). Owns the loaders.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private TrainingSession(TrainingSettings settings, ExecutionContext context, LoaderBatchSource train, LoaderBatchSource val, Module model)
    {
        Settings = settings;
        Context = context;
        Train = train;
        Val = val;
        Model = model;
    }

    public TrainingSettings Settings { get; }
    public ExecutionContext Context { get; }
    public LoaderBatchSource Train { get; }
    public LoaderBatchSource Val { get; }
    public Module Model { get; }

    /// <summary>The loaders and the built model for <paramref name="settings"/>; nothing is left open if building fails.</summary>
    /// <exception cref="ArgumentException">the context's thread count is not the settings'.</exception>
    public static TrainingSession Create(FashionMnist data, TrainingSettings settings, ExecutionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Threads != settings.Threads)
            throw new ArgumentException($"the execution context runs {context.Threads} thread(s) but the settings say --threads {settings.Threads}", nameof(context));
        var (train, val) = FashionMnistData.Loaders(data, settings);
        try
        {
            RandomGenerator.ManualSeed(settings.Seed);
            Module model;
            using (context.Enter())
            using (ParameterDevice.Use(context.Device))
                model = ModelZoo.CreateBuilt(settings.Model, [settings.Batch, 1, settings.Resize, settings.Resize], new ModelOptions(1, settings.Classes));
            return new TrainingSession(settings, context, train, val, model);
        }
        catch
        {
            train.Dispose();
            val.Dispose();
            throw;
        }
    }

    /// <summary>A trainer for this session's model and settings.</summary>
    public Trainer Trainer(ITrainingObserver? observer = null) => new(Model, Settings, Context, observer);

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
    }
}
