using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Serialization;

namespace NetBlocks.Training;

/// <summary>
/// A resumable training checkpoint in one safetensors file: the model's state dict under PyTorch's keys, the SGD
/// momentum buffers under <c>optimizer.momentum_buffer.&lt;key&gt;</c>, and in the metadata the run's settings and
/// progress (JSON). Written atomically: a killed process leaves the previous checkpoint intact.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>A run folder's resumable checkpoint (weights, optimizer state, settings, progress).</summary>
    public const string FileName = "checkpoint.safetensors";
    /// <summary>A run folder's final weights (with the settings as metadata), what eval, predict and export read.</summary>
    public const string WeightsFileName = "model.safetensors";
    public const string OptimizerPrefix = "optimizer.momentum_buffer.";
    public const string SettingsKey = "netblocks.settings";
    public const string ProgressKey = "netblocks.progress";

    public static void Save(string path, Module model, Sgd optimizer, TrainingSettings settings, TrainingProgress progress)
    {
        var names = model.NamedParameters().Select(p => p.Name).ToArray();
        var extra = new List<SafeTensor>();
        for (int i = 0; i < names.Length; i++)
            if (optimizer.MomentumBuffer(i) is { } buf)
                extra.Add(new SafeTensor(OptimizerPrefix + names[i], buf.Shape.ToArray(), buf.ToArray()));
        var meta = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [SettingsKey] = settings.ToJson(),
            [ProgressKey] = progress.ToJson(),
        };
        Checkpoint.Save(model, path, meta, extra);
    }

    /// <summary>Reads only the settings and progress (to rebuild the model before loading weights).</summary>
    public static (TrainingSettings Settings, TrainingProgress Progress) ReadState(string path)
    {
        var file = SafeTensors.Read(path);
        if (!file.Metadata.TryGetValue(SettingsKey, out var s) || !file.Metadata.TryGetValue(ProgressKey, out var p))
            throw new InvalidDataException($"{path}: not a NetBlocks training checkpoint (no {SettingsKey}/{ProgressKey} metadata); a plain state dict can be loaded with `netblocks eval`");
        try { return (TrainingSettings.FromJson(s), TrainingProgress.FromJson(p)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}: corrupt training metadata: {e.Message}", e); }
    }

    /// <summary>Loads weights and momentum buffers into a built model and its optimizer; validates everything first.</summary>
    public static void Load(string path, Module model, Sgd optimizer)
    {
        var file = Checkpoint.Load(model, path, ignorePrefix: "optimizer.");
        var names = model.NamedParameters().Select(p => p.Name).ToArray();
        for (int i = 0; i < names.Length; i++)
            if (file.Tensors.TryGetValue(OptimizerPrefix + names[i], out var buf))
                optimizer.SetMomentumBuffer(i, buf.Data);
    }
}
