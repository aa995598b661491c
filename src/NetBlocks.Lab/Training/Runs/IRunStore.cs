namespace NetBlocks.Training.Runs;

public enum RunStatus { Running, Completed, Interrupted, Failed }

/// <summary>A run as `netblocks runs` lists it.</summary>
public sealed record RunSummary(long Id, string Model, RunStatus Status, DateTime StartedUtc, DateTime? EndedUtc,
    int EpochsDone, int EpochsPlanned, double? ValAccuracy, string? Message);

/// <summary>A run with everything recorded about it, as `netblocks runs show ID` prints it.</summary>
public sealed record RunDetails(RunSummary Summary, TrainingSettings Settings, IReadOnlyList<EpochMetrics> Epochs,
    IReadOnlyList<(int Epoch, string Path)> Checkpoints, string OutputDirectory);

/// <summary>Where training runs are recorded (settings, per-epoch metrics, checkpoints, status). SQLite by default.</summary>
public interface IRunStore : IDisposable
{
    long CreateRun(TrainingSettings settings, string outputDirectory, DateTime startedUtc);
    /// <summary>Replaces the run's settings (a resumed run given more --epochs), and with them the epochs planned.</summary>
    void UpdateSettings(long runId, TrainingSettings settings);
    void RecordEpoch(long runId, EpochMetrics metrics);
    void RecordCheckpoint(long runId, int epoch, string path);
    /// <summary>Status change; <paramref name="message"/> says why for Interrupted/Failed (e.g. the resume command or the error).</summary>
    void SetStatus(long runId, RunStatus status, string? message = null);
    IReadOnlyList<RunSummary> ListRuns(int limit = 50);
    RunDetails? GetRun(long runId);
}
