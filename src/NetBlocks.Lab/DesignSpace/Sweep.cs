using System.Text.Json;
using System.Text.Json.Serialization;
using NetBlocks.Training;

namespace NetBlocks.DesignSpace;

/// <summary>How every trial of a sweep is trained: few epochs, low resolution, a subset of the data (multi-fidelity).</summary>
public sealed record TrialSettings
{
    public int Epochs { get; init; } = 1;
    public int Resize { get; init; } = 32;
    public int LimitTrain { get; init; } = 5000;
    public int LimitVal { get; init; } = 1000;
    public ulong Seed { get; init; }
    public float LearningRate { get; init; } = 0.05f;
    public int Batch { get; init; } = 128;

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {Epochs}");
        if (Resize < 8) throw new ArgumentException($"--resize must be at least 8, got {Resize}");
        if (LimitTrain < 0 || LimitVal < 0) throw new ArgumentException("--limit-train and --limit-val must not be negative (0 = all)");
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"--lr must be positive, got {LearningRate}");
        if (Batch < 1) throw new ArgumentException($"--batch must be at least 1, got {Batch}");
    }

    /// <summary>The training settings of one trial (the model is the trial's spec; every trial shares the seed).</summary>
    public TrainingSettings ForModel(string spec, int threads) => new()
    {
        Model = spec, Resize = Resize, Epochs = Epochs, Batch = Batch, LearningRate = LearningRate, Seed = Seed,
        LimitTrain = LimitTrain, LimitVal = LimitVal, Threads = threads,
    };
}

/// <summary>A sweep: its name, space, sampling band and trial settings, as stored.</summary>
public sealed record SweepDefinition(string Name, SpaceKind Space, TrialSettings Settings)
{
    public DesignSpaceOptions Options { get; init; } = new();
    public ValueRange Macs { get; init; } = ValueRange.Any;
    public ValueRange Params { get; init; } = ValueRange.Any;
    /// <summary>Claims of one trial before it is marked failed (a worker that died, or training that threw).</summary>
    public int MaxAttempts { get; init; } = 3;
    public ulong SamplingSeed { get; init; }
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SweepDefinition FromJson(string json) =>
        JsonSerializer.Deserialize<SweepDefinition>(json, Json) ?? throw new InvalidDataException("empty sweep definition");

    /// <summary>Sweep names go into file names and URLs: letters, digits, '-', '_', '.', 1 to 64 characters.</summary>
    public static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"sweep name '{name}' is not valid: use 1 to 64 letters, digits, '-', '_' or '.'");
    }
}

public enum TrialStatus { Pending, Running, Done, Failed }

/// <summary>A trial handed to one worker: it owns the trial while it keeps the lease alive.</summary>
public sealed record TrialClaim(long Id, string Sweep, int Index, string Spec, int Attempt, string Worker);

/// <summary>What training a trial produced: error = 1 − final validation accuracy, and the per-epoch curve.</summary>
public sealed record TrialResult(double Error, double Seconds, IReadOnlyList<EpochMetrics> Curve)
{
    /// <summary>
    /// Why training diverged (a loss became NaN or infinite), or null. A diverged trial is a result, not a failure: a bad
    /// model, recorded with chance-level error (see <see cref="Diverge"/>) so that it stays in the EDF.
    /// </summary>
    public string? Divergence { get; init; }

    public bool Diverged => Divergence is not null;

    /// <summary>
    /// The result of a trial whose training diverged: error 1 − 1/<paramref name="classes"/> (chance level: 0.9 for
    /// Fashion-MNIST's ten classes), the curve of the epochs that finished with finite numbers, and the reason.
    /// </summary>
    public static TrialResult Diverge(int classes, double seconds, IEnumerable<EpochMetrics> history, string reason) =>
        new(1 - 1.0 / classes, seconds, [.. history.Where(IsFinite)]) { Divergence = reason };

    /// <summary>Refuses what must never be stored: a number that is not finite (JSON cannot carry it), an error outside [0, 1].</summary>
    /// <exception cref="ArgumentException">says which number.</exception>
    public void Validate()
    {
        if (!double.IsFinite(Error) || Error < 0 || Error > 1)
            throw new ArgumentException($"a trial's error must be a finite number in [0, 1], got {Error}");
        if (!double.IsFinite(Seconds) || Seconds < 0)
            throw new ArgumentException($"a trial's seconds must be a finite number ≥ 0, got {Seconds}");
        if (Curve.FirstOrDefault(m => !IsFinite(m)) is { } bad)
            throw new ArgumentException($"epoch {bad.Epoch} of a trial's curve holds a number that is not finite ({bad}); record a diverged trial with TrialResult.Diverge");
    }

    /// <summary>Whether every number of an epoch is finite (a diverged epoch has a NaN or infinite loss).</summary>
    public static bool IsFinite(EpochMetrics m) =>
        double.IsFinite(m.TrainLoss) && double.IsFinite(m.TrainAccuracy) && double.IsFinite(m.ValLoss) && double.IsFinite(m.ValAccuracy)
        && double.IsFinite(m.Seconds) && double.IsFinite(m.ImagesPerSecond);
}

/// <summary>One trial as stored.</summary>
public sealed record TrialRecord(long Id, string Sweep, int Index, string Spec, IReadOnlyDictionary<string, double> Parameters,
    long Params, long Macs, TrialStatus Status, int Attempts, string? Worker, double? Error, double? Seconds,
    IReadOnlyList<EpochMetrics> Curve, string? Message)
{
    /// <summary>Done, but training diverged: <see cref="Error"/> is chance level and <see cref="Message"/> says what diverged.</summary>
    public bool Diverged { get; init; }
}

/// <summary>How many trials of a sweep are in each state.</summary>
public sealed record SweepCounts(int Pending, int Running, int Done, int Failed)
{
    public int Total => Pending + Running + Done + Failed;
    public bool Finished => Pending == 0 && Running == 0;
}

/// <summary>A sweep of that name exists already.</summary>
public sealed class SweepExistsException(string message) : InvalidOperationException(message);
