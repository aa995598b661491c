using System.Text.Json;
using System.Text.Json.Serialization;
using NetBlocks.Serialization;

namespace NetBlocks.Training;

/// <summary>
/// Everything that defines a training run, as `netblocks train` takes it. Stored with every checkpoint and run record,
/// so a run can be resumed or reproduced from it alone. Defaults follow d2l (batch 128, 10 epochs, SGD).
/// </summary>
public sealed record TrainingSettings
{
    public required string Model { get; init; }
    /// <summary>Side of the square input the images are resized to (28 = no resize).</summary>
    public int Resize { get; init; } = 28;
    public int Epochs { get; init; } = 10;
    public int Batch { get; init; } = 128;
    public float LearningRate { get; init; } = 0.1f;
    public float Momentum { get; init; }
    public float WeightDecay { get; init; }
    public bool Nesterov { get; init; }
    /// <summary>constant | step:EVERY:GAMMA | cosine[:WARMUP_EPOCHS]</summary>
    public string Schedule { get; init; } = "constant";
    /// <summary>Clip the global gradient norm to this value (d2l's clip_gradients); 0 = off.</summary>
    public float GradientClip { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Use only the first N training / test images (0 = all).</summary>
    public int LimitTrain { get; init; }
    public int LimitVal { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    public bool Augment { get; init; }
    public int Classes { get; init; } = 10;

    /// <summary>
    /// Refuses settings no run can train with, naming the `netblocks train` option, the value and what is valid:
    /// called before a run is recorded, so a bad value never leaves a run behind.
    /// </summary>
    public TrainingSettings Validate()
    {
        AtLeast(Resize, 1, "--resize");
        AtLeast(Epochs, 1, "--epochs");
        AtLeast(Batch, 1, "--batch");
        AtLeast(Threads, 1, "--threads");
        AtLeast(LimitTrain, 0, "--limit-train", "0 = all images");
        AtLeast(LimitVal, 0, "--limit-val", "0 = all images");
        AtLeast(Classes, 2, "classes");
        Finite(LearningRate, "--lr", v => v > 0, "a number > 0, e.g. 0.05");
        Finite(Momentum, "--momentum", v => v is >= 0 and < 1, "a number from 0 (no momentum) up to but not including 1, e.g. 0.9");
        Finite(WeightDecay, "--weight-decay", v => v >= 0, "a number ≥ 0, e.g. 5e-4");
        Finite(GradientClip, "--grad-clip", v => v >= 0, "a number ≥ 0 (0: no clipping)");
        if (Nesterov && Momentum == 0) throw new ArgumentException("--nesterov needs a --momentum above 0, e.g. --momentum 0.9");
        LearningRateSchedule.Parse(Schedule);
        return this;
    }

    private static void AtLeast(int value, int min, string option, string? note = null)
    {
        if (value < min)
            throw new ArgumentException($"{option} must be a whole number ≥ {min}{(note is null ? "" : $" ({note})")}, got {value}");
    }

    private static void Finite(float value, string option, Func<float, bool> valid, string what)
    {
        if (!float.IsFinite(value) || !valid(value))
            throw new ArgumentException($"{option} must be {what}, got {FormatValue(value)}");
    }

    private static string FormatValue(float v) =>
        float.IsNaN(v) ? "nan" : float.IsPositiveInfinity(v) ? "inf (too large for a 32-bit float)" : float.IsNegativeInfinity(v) ? "-inf"
            : v.ToString("G7", System.Globalization.CultureInfo.InvariantCulture);

    public string ToJson() => JsonSerializer.Serialize(this, FiniteJson.SnakeCase);

    public static TrainingSettings FromJson(string json) =>
        JsonSerializer.Deserialize<TrainingSettings>(json, FiniteJson.SnakeCase) ?? throw new InvalidDataException("empty training settings");
}

/// <summary>One epoch's numbers, as d2l's ProgressBoard plots them plus time and throughput.</summary>
public sealed record EpochMetrics(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("train_loss")] double TrainLoss,
    [property: JsonPropertyName("train_acc")] double TrainAccuracy,
    [property: JsonPropertyName("val_loss")] double ValLoss,
    [property: JsonPropertyName("val_acc")] double ValAccuracy,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("images_per_s")] double ImagesPerSecond);

/// <summary>A point of the live training curve: fractional epoch and the value (train loss per step window, val metrics per epoch).</summary>
public sealed record CurvePoint(double Epoch, string Series, double Value);
