using System.Text.Json;
using System.Text.Json.Serialization;

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

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainingSettings FromJson(string json) =>
        JsonSerializer.Deserialize<TrainingSettings>(json, Json) ?? throw new InvalidDataException("empty training settings");
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
