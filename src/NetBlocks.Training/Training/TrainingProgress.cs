using System.Text.Json;
using System.Text.Json.Serialization;
using NetBlocks.Serialization;

namespace NetBlocks.Training;

/// <summary>
/// Where a run stands: the epoch in progress, how many of its batches are done, the running sums of the partial
/// epoch, the finished epochs' metrics, and the random state. Saved in every checkpoint so that --resume continues
/// exactly where the run stopped (between epochs, or mid-epoch after Ctrl+C). Non-finite metrics (a diverged
/// validation loss) are stored as null and read back as NaN (<see cref="FiniteJson"/>).
/// </summary>
public sealed class TrainingProgress
{
    [JsonPropertyName("epoch")] public int Epoch { get; set; }
    [JsonPropertyName("batch_in_epoch")] public int BatchInEpoch { get; set; }
    [JsonPropertyName("global_step")] public long GlobalStep { get; set; }
    [JsonPropertyName("loss_sum")] public double LossSum { get; set; }
    [JsonPropertyName("correct")] public long Correct { get; set; }
    [JsonPropertyName("seen")] public long Seen { get; set; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; set; }
    [JsonPropertyName("history")] public List<EpochMetrics> History { get; set; } = new();
    [JsonPropertyName("rng")] public ulong[] Rng { get; set; } = [];
    /// <summary>The ProgressBoard curve so far: train_loss at fractional epochs, val_loss and val_acc per epoch.</summary>
    [JsonPropertyName("curve")] public List<CurvePoint> Curve { get; set; } = new();
    [JsonPropertyName("window_loss_sum")] public double WindowLossSum { get; set; }
    [JsonPropertyName("window_batches")] public int WindowBatches { get; set; }
    [JsonPropertyName("run_id")] public long? RunId { get; set; }

    public void ResetEpochAccumulators()
    {
        BatchInEpoch = 0; LossSum = 0; Correct = 0; Seen = 0; TrainSeconds = 0;
    }

    public string ToJson() => JsonSerializer.Serialize(this, FiniteJson.Options);

    public static TrainingProgress FromJson(string json) =>
        JsonSerializer.Deserialize<TrainingProgress>(json, FiniteJson.Options) ?? throw new InvalidDataException("empty training progress");
}
