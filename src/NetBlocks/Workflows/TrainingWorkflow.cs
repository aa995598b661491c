using NetBlocks.Data;
using NetBlocks.Kernels;
using NetBlocks.Models;
using NetBlocks.Reporting.Charts;
using NetBlocks.Reporting.Terminal;
using NetBlocks.Serialization;
using NetBlocks.Tensors;
using NetBlocks.Training;
using NetBlocks.Training.Runs;

namespace NetBlocks.Workflows;

/// <summary>What `netblocks train` asks for.</summary>
public sealed record TrainRequest(TrainingSettings Settings, string? DataDir, string OutRoot, string? Resume = null, bool VerifyData = true);

/// <summary>How a training run ended.</summary>
public sealed record TrainResult(long RunId, TrainingSettings Settings, TrainingOutcome Outcome, IReadOnlyList<EpochMetrics> Epochs,
    string Checkpoint, string RunDirectory, string? ResumeCommand);

/// <summary>
/// One training run end to end: Fashion-MNIST loaders, the model from the zoo (or the checkpoint being resumed), the
/// trainer, and everything that records the run as it goes — a progress bar, the ProgressBoard chart (SVG + PNG) and
/// metrics.csv refreshed every epoch, the run store (SQLite) and a checkpoint per epoch.
/// </summary>
public sealed class TrainingWorkflow(TextWriter log, ProgressReporter progress)
{
    public const string CheckpointFile = "checkpoint.safetensors";
    public const string WeightsFile = "model.safetensors";

    public TrainResult Run(TrainRequest request, CancellationToken cancel = default)
    {
        request.Settings.Validate();
        Directory.CreateDirectory(request.OutRoot);
        using var store = new SqliteRunStore(RunStorePaths.DefaultDatabase(request.OutRoot));
        var (settings, runId, runDir, resumeFrom) = Prepare(request, store);
        Threading.Threads = settings.Threads;

        var data = FashionMnist.Load(request.DataDir, new DataOptions { VerifyHashes = request.VerifyData });
        var (train, val) = FashionMnistData.Loaders(data, settings);
        using var _t = train;
        using var _v = val;

        RandomGenerator.ManualSeed(settings.Seed);
        var model = ModelZoo.CreateBuilt(settings.Model, [settings.Batch, 1, settings.Resize, settings.Resize], new ModelOptions(1, settings.Classes));
        var observer = new RunObserver(settings, store, runId, runDir, log, progress);
        var trainer = new Trainer(model, settings, observer);
        observer.Source = () => trainer.Progress;
        trainer.Progress.RunId = runId;
        var checkpoint = Path.Combine(runDir, CheckpointFile);
        if (resumeFrom is not null)
        {
            trainer.Resume(resumeFrom);
            log.WriteLine($"resuming run {runId} at epoch {trainer.Progress.Epoch + 1}, batch {trainer.Progress.BatchInEpoch} from {resumeFrom}");
        }
        else log.WriteLine($"run {runId}: {settings.Model} on Fashion-MNIST at {settings.Resize}×{settings.Resize}, " +
                           $"{train.Count} train / {val.Count} test images, batch {settings.Batch}, lr {settings.LearningRate:G3}, {settings.Epochs} epochs, " +
                           $"{model.ParameterCount:N0} parameters → {runDir}");
        store.SetStatus(runId, RunStatus.Running);
        try
        {
            var outcome = trainer.Fit(train, val, checkpoint, cancel);
            Checkpoint.Save(model, Path.Combine(runDir, WeightsFile), InferenceModel.Metadata(settings));
            string? resume = null;
            if (outcome == TrainingOutcome.Interrupted)
            {
                resume = $"netblocks train {settings.Model} --out {request.OutRoot} --resume {runId}";
                store.SetStatus(runId, RunStatus.Interrupted, $"stopped at epoch {trainer.Progress.Epoch + 1}, batch {trainer.Progress.BatchInEpoch}; resume with: {resume}");
            }
            else store.SetStatus(runId, RunStatus.Completed);
            return new TrainResult(runId, settings, outcome, trainer.Progress.History, checkpoint, runDir, resume);
        }
        catch (Exception e)
        {
            store.SetStatus(runId, RunStatus.Failed, e.Message);
            throw;
        }
    }

    /// <summary>New run, or the run and checkpoint to resume (--resume [ID | CHECKPOINT]; empty = the model's latest unfinished run).</summary>
    private static (TrainingSettings, long RunId, string RunDir, string? ResumeFrom) Prepare(TrainRequest request, IRunStore store)
    {
        if (request.Resume is null)
        {
            var settings = request.Settings;
            var started = DateTime.UtcNow;
            var dir = NewRunDirectory(request.OutRoot, settings.Model, started);
            long id = store.CreateRun(settings, dir, started);
            return (settings, id, dir, null);
        }
        RunDetails run;
        if (File.Exists(request.Resume))
        {
            var (s, p) = TrainingCheckpoint.ReadState(request.Resume);
            run = (p.RunId is long rid ? store.GetRun(rid) : null)
                  ?? throw new InvalidOperationException($"checkpoint {request.Resume} belongs to no run in {RunStorePaths.DefaultDatabase(request.OutRoot)}");
            return (s, run.Summary.Id, run.OutputDirectory, request.Resume);
        }
        if (request.Resume.Length == 0)
        {
            var latest = store.ListRuns(1000).FirstOrDefault(r => r.Model == request.Settings.Model && r.Status != RunStatus.Completed)
                ?? throw new InvalidOperationException($"no unfinished run of {request.Settings.Model} in {RunStorePaths.DefaultDatabase(request.OutRoot)} to resume (`netblocks runs` lists them)");
            run = store.GetRun(latest.Id)!;
        }
        else if (long.TryParse(request.Resume, out var rid))
            run = store.GetRun(rid) ?? throw new InvalidOperationException($"no run {rid} in {RunStorePaths.DefaultDatabase(request.OutRoot)} (`netblocks runs` lists them)");
        else throw new FileNotFoundException($"--resume {request.Resume}: no such run id or checkpoint file");
        if (run.Summary.Status == RunStatus.Completed)
            throw new InvalidOperationException($"run {run.Summary.Id} already completed all {run.Settings.Epochs} epochs; start a new run instead");
        var ckpt = Path.Combine(run.OutputDirectory, CheckpointFile);
        if (!File.Exists(ckpt))
            throw new FileNotFoundException($"run {run.Summary.Id} has no checkpoint yet ({ckpt}): it stopped before its first epoch ended; start it again without --resume");
        return (TrainingCheckpoint.ReadState(ckpt).Settings, run.Summary.Id, run.OutputDirectory, ckpt);
    }

    /// <summary>An absolute, new folder for a run: OUT/yyyyMMdd-HHmmss-MODEL (with -2, -3… if taken).</summary>
    private static string NewRunDirectory(string outRoot, string model, DateTime started)
    {
        var stem = Path.GetFullPath(Path.Combine(outRoot, $"{started:yyyyMMdd-HHmmss}-{Sanitize(model)}"));
        var dir = stem;
        for (int i = 2; Directory.Exists(dir); i++) dir = $"{stem}-{i}";
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Sanitize(string model) =>
        new(model.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_').Take(48).ToArray());

    /// <summary>Progress bar per epoch; chart, CSV and run records at every epoch end.</summary>
    private sealed class RunObserver(TrainingSettings settings, SqliteRunStore store, long runId, string runDir, TextWriter log, ProgressReporter progress)
        : ITrainingObserver
    {
        /// <summary>The trainer's live progress (replaced when a checkpoint is resumed).</summary>
        public Func<TrainingProgress>? Source { get; set; }

        public void OnEpochStart(int epoch, int batchesPerEpoch, int startBatch) =>
            progress.Start(batchesPerEpoch, $"epoch {epoch + 1}/{settings.Epochs}");

        public void OnStep(int epoch, int batch, int batchesPerEpoch, double loss, double imagesPerSecond) =>
            progress.Update(batch, loss, imagesPerSecond);

        public void OnEpochEnd(EpochMetrics m, string checkpointPath)
        {
            progress.Finish($"epoch {m.Epoch}/{settings.Epochs}: train loss {m.TrainLoss:F4}, train acc {m.TrainAccuracy:F4}, " +
                            $"val loss {m.ValLoss:F4}, val acc {m.ValAccuracy:F4}, {m.Seconds:F1} s, {m.ImagesPerSecond:F1} images/s");
            store.RecordEpoch(runId, m);
            store.RecordCheckpoint(runId, m.Epoch, checkpointPath);
            WriteReports();
        }

        public void OnInterrupted(string checkpointPath) => log.WriteLine($"stopped; checkpoint written to {checkpointPath}");

        private void WriteReports()
        {
            if (Source?.Invoke() is not { } p) return;
            MetricsCsv.Write(Path.Combine(runDir, "metrics.csv"), p.History);
            Chart.Save(TrainingChart.FromCurve(p.Curve, $"{settings.Model} on Fashion-MNIST {settings.Resize}x{settings.Resize}"), Path.Combine(runDir, "curves"));
        }
    }
}
