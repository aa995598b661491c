using System.Diagnostics;
using System.Globalization;
using NetBlocks.Analysis;
using NetBlocks.Data;
using NetBlocks.Reporting.Charts;
using NetBlocks.Reporting.Terminal;
using NetBlocks.Serialization;
using NetBlocks.Tensors;
using NetBlocks.Training;
using NetBlocks.Training.Runs;

namespace NetBlocks.Workflows;

/// <summary>What `netblocks train` asks for.</summary>
/// <param name="Given">The options given on the command line (e.g. "--epochs"): on --resume they are applied or
/// refused (<see cref="ResumeSettings"/>); elsewhere unused.</param>
/// <param name="Device">Where the model trains (default: the CPU); a device other than the CPU must have its backend
/// registered (the CLI opens cuda:N for --device). Not a setting: a run's checkpoints are the same on any device.</param>
public sealed record TrainRequest(TrainingSettings Settings, string? DataDir, string OutRoot, string? Resume = null, bool VerifyData = true,
    IReadOnlySet<string>? Given = null, Device? Device = null);

/// <summary>How a training run ended.</summary>
public sealed record TrainResult(long RunId, TrainingSettings Settings, TrainingOutcome Outcome, IReadOnlyList<EpochMetrics> Epochs,
    string Checkpoint, string RunDirectory, string? ResumeCommand);

/// <summary>
/// One training run end to end: Fashion-MNIST loaders, the model from the zoo (or the checkpoint being resumed), the
/// trainer, and everything that records the run as it goes — a progress bar, the ProgressBoard chart (SVG + PNG) and
/// metrics.csv refreshed every epoch, the run store (SQLite) and a checkpoint per epoch.
/// Everything that can be checked is checked before the run is recorded (settings, data, the model for the input size,
/// memory), so a bad start leaves no run behind; a run that fails later is recorded as failed; a run folder is locked
/// while it trains (<see cref="RunLock"/>), so two processes never train the same run.
/// </summary>
/// <param name="memory">What memory the run may take (default: <see cref="MemoryBudget.Read"/>; tests pass a fixed one).</param>
public sealed class TrainingWorkflow(TextWriter log, ProgressReporter progress, Func<MemoryBudget>? memory = null)
{
    private readonly Func<MemoryBudget> _memory = memory ?? MemoryBudget.Read;

    public const string CheckpointFile = TrainingCheckpoint.FileName;
    public const string WeightsFile = TrainingCheckpoint.WeightsFileName;

    /// <summary>Training steps timed (after the first, which warms up) before the time per epoch is printed.</summary>
    public const int TimedSteps = 3;

    /// <summary>What a start needs once the run is chosen: its settings, id, folder, lock and the checkpoint to resume from.</summary>
    private sealed record Start(TrainingSettings Settings, long RunId, string RunDir, string? ResumeFrom, RunLock Lock);

    public TrainResult Run(TrainRequest request, CancellationToken cancel = default)
    {
        CreateOutRoot(request.OutRoot);
        using var store = new SqliteRunStore(RunStorePaths.DefaultDatabase(request.OutRoot));
        if (request.Resume is null)
        {
            // everything that can fail on bad input fails here, before the run is recorded
            var settings = request.Settings.Validate();
            using var prepared = Prepare(request, settings);
            var started = DateTime.UtcNow;
            var dir = NewRunDirectory(request.OutRoot, settings.Model, started);
            using var runLock = RunLock.TryAcquire(dir) ?? throw new IOException($"run folder {dir} is locked by another process");
            long id = store.CreateRun(settings, dir, started);
            return Train(request, store, new Start(settings, id, dir, null, runLock), prepared, cancel);
        }
        var start = ChooseResume(request, store);
        using (start.Lock)
        {
            DeleteStaleTemporaryFiles(start.RunDir);
            // a resume that cannot start (data, memory) leaves the run as it was
            using var prepared = Prepare(request, start.Settings);
            store.UpdateSettings(start.RunId, start.Settings);
            return Train(request, store, start, prepared, cancel);
        }
    }

    /// <summary>
    /// The run's execution context (made once, from the settings' --threads), the loaders and the built model for the
    /// settings, after checking that the model fits in memory.
    /// </summary>
    private sealed record Prepared(TrainingSession Session, MemoryEstimate Memory, ExecutionContext Context) : IDisposable
    {
        public void Dispose()
        {
            Session.Dispose();
            Context.Dispose();
        }
    }

    private Prepared Prepare(TrainRequest request, TrainingSettings settings)
    {
        var data = FashionMnistData.Load(request.DataDir, request.VerifyData);
        var context = new ExecutionContext(settings.Threads, device: request.Device);
        TrainingSession session;
        try { session = TrainingSession.Create(data, settings, context); }
        catch (Exception e)
        {
            context.Dispose();
            if (e is OutOfMemoryException) throw new InsufficientMemoryException(TrainingMemory.ParametersDoNotFit(settings));
            throw;
        }
        try
        {
            int batch = Math.Min(settings.Batch, Math.Max(1, session.Train.Count));
            var memory = ModelAnalyzer.Analyze(session.Model, [batch, 1, settings.Resize, settings.Resize], settings.Model).Memory;
            var budget = _memory();
            if (memory.TrainingBytes > budget.AvailableBytes)
                throw new InsufficientMemoryException(TrainingMemory.TooLarge(settings, batch, memory, budget));
            return new Prepared(session, memory, context);
        }
        catch
        {
            session.Dispose();
            context.Dispose();
            throw;
        }
    }

    /// <summary>Trains a recorded, locked run to its end or an interruption; any failure is recorded on the run.</summary>
    private TrainResult Train(TrainRequest request, SqliteRunStore store, Start start, Prepared prepared, CancellationToken cancel)
    {
        var (settings, runId, runDir, resumeFrom, _) = start;
        var (session, memory, _) = prepared;
        var (train, val, model) = (session.Train, session.Val, session.Model);
        try
        {
            var observer = new RunObserver(settings, store, runId, runDir, log, progress);
            var trainer = session.Trainer(observer);
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
                               $"{model.ParameterCount:N0} parameters, about {MemoryBudget.Format(memory.TrainingBytes)} of memory → {runDir}");
            store.SetStatus(runId, RunStatus.Running);
            TrainingOutcome outcome;
            try { outcome = trainer.Fit(train, val, checkpoint, cancel); }
            catch (OutOfMemoryException e) when (e is not InsufficientMemoryException)
            {
                throw new InsufficientMemoryException(TrainingMemory.RanOut(settings, memory, _memory()), e);
            }
            Checkpoint.Save(model, Path.Combine(runDir, WeightsFile), InferenceModel.Metadata(settings));
            string? resume = null;
            if (outcome == TrainingOutcome.Interrupted)
            {
                resume = ResumeCommand(request, settings.Model, runId);
                store.SetStatus(runId, RunStatus.Interrupted, $"stopped at epoch {trainer.Progress.Epoch + 1}, batch {trainer.Progress.BatchInEpoch}; resume with: {resume}");
            }
            else store.SetStatus(runId, RunStatus.Completed);
            return new TrainResult(runId, settings, outcome, trainer.Progress.History, checkpoint, runDir, resume);
        }
        catch (Exception e)
        {
            try { store.SetStatus(runId, RunStatus.Failed, e.Message); }
            catch (Exception recordError) when (recordError is IOException or InvalidDataException) { /* the original error says more */ }
            throw;
        }
    }

    private static void CreateOutRoot(string outRoot)
    {
        if (File.Exists(outRoot))
            throw new IOException($"--out {outRoot} is a file; give a folder for the runs (it is created if missing)");
        try { Directory.CreateDirectory(outRoot); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--out {outRoot}: cannot create the folder for the runs ({e.Message})", e);
        }
    }

    /// <summary>The command that resumes run <paramref name="runId"/> as this one was started (folder, data, verification).</summary>
    public static string ResumeCommand(TrainRequest request, string model, long runId)
    {
        var command = $"netblocks train {ShellWord(model)} --out {ShellWord(request.OutRoot)} --resume {runId}";
        if (request.DataDir is not null) command += $" --data {ShellWord(request.DataDir)}";
        if (!request.VerifyData) command += " --no-verify";
        return command;
    }

    /// <summary>The word as a POSIX shell reads it back: unchanged when plain, else in single quotes.</summary>
    internal static string ShellWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:,=+@%".Contains(c)) ? word : $"'{word.Replace("'", "'\\''")}'";

    /// <summary>
    /// The run and checkpoint to resume (--resume [ID | CHECKPOINT]; empty = the model's latest run that can be resumed:
    /// not completed, with a checkpoint, and not being trained by another process), locked for this process.
    /// </summary>
    private static Start ChooseResume(TrainRequest request, SqliteRunStore store)
    {
        var database = RunStorePaths.DefaultDatabase(request.OutRoot);
        var given = request.Given ?? new HashSet<string>();
        RunDetails run;
        string? checkpoint = null;
        if (request.Resume!.Length == 0)
        {
            var skipped = new List<string>();
            RunLock? locked = null;
            RunDetails? found = null;
            foreach (var summary in store.ListRuns(1000).Where(r => r.Model == request.Settings.Model && r.Status != RunStatus.Completed))
            {
                var candidate = store.GetRun(summary.Id)!;
                var ckpt = Path.Combine(candidate.OutputDirectory, CheckpointFile);
                if (!File.Exists(ckpt)) { skipped.Add($"run {summary.Id} has no checkpoint (it stopped before its first epoch ended)"); continue; }
                locked = RunLock.TryAcquire(candidate.OutputDirectory);
                if (locked is null) { skipped.Add($"run {summary.Id} is being trained by another process"); continue; }
                found = candidate;
                break;
            }
            if (found is null)
                throw new InvalidOperationException($"no run of {request.Settings.Model} to resume in {database}" +
                                                    (skipped.Count > 0 ? $": {string.Join("; ", skipped)}" : "") + " (`netblocks runs` lists them)");
            return Resumable(found, locked!, given, request);
        }
        if (long.TryParse(request.Resume, NumberStyles.None, CultureInfo.InvariantCulture, out var rid))
            run = store.GetRun(rid) ?? throw new InvalidOperationException($"--resume {rid}: no run {rid} in {database} (`netblocks runs` lists them)");
        else if (File.Exists(request.Resume))
        {
            var (_, p) = TrainingCheckpoint.ReadState(request.Resume);
            run = (p.RunId is long id ? store.GetRun(id) : null)
                  ?? throw new InvalidOperationException($"--resume {request.Resume}: the checkpoint belongs to no run in {database}");
            checkpoint = request.Resume;
        }
        else throw new FileNotFoundException($"--resume {request.Resume}: no run with that id and no such checkpoint file");
        var runLock = RunLock.TryAcquire(run.OutputDirectory)
                      ?? throw new InvalidOperationException($"run {run.Summary.Id} is being trained by another process now; wait for it, or stop it (Ctrl+C or kill) and resume then");
        try { return Resumable(run, runLock, given, request, checkpoint); }
        catch { runLock.Dispose(); throw; }
    }

    private static Start Resumable(RunDetails run, RunLock runLock, IReadOnlySet<string> given, TrainRequest request, string? checkpoint = null)
    {
        long id = run.Summary.Id;
        checkpoint ??= Path.Combine(run.OutputDirectory, CheckpointFile);
        if (!File.Exists(checkpoint))
            throw new FileNotFoundException($"run {id} has no checkpoint yet ({checkpoint}): it stopped before its first epoch ended; start it again without --resume");
        var (saved, progress) = TrainingCheckpoint.ReadState(checkpoint);
        int started = progress.Epoch + (progress.BatchInEpoch > 0 ? 1 : 0);
        var settings = ResumeSettings.Apply(saved, id, started, request.Settings, given).Validate();
        if (progress.Epoch >= settings.Epochs)
            throw new InvalidOperationException($"run {id} already completed all {progress.Epoch} epochs; to train it further, give more with --epochs (e.g. --epochs {progress.Epoch + 5}), or start a new run");
        return new Start(settings, id, run.OutputDirectory, checkpoint, runLock);
    }

    /// <summary>Temporary files of atomic writes that a killed process left in the run folder (it is locked: no one else writes there).</summary>
    private static void DeleteStaleTemporaryFiles(string runDir)
    {
        foreach (var file in Directory.EnumerateFiles(runDir, "*.tmp-*"))
        {
            try { File.Delete(file); }
            catch (IOException) { /* gone already, or in use: the next start tries again */ }
        }
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

    /// <summary>Progress bar per epoch; the measured time per epoch after the first steps; chart, CSV and run records at every epoch end.</summary>
    private sealed class RunObserver(TrainingSettings settings, SqliteRunStore store, long runId, string runDir, TextWriter log, ProgressReporter progress)
        : ITrainingObserver
    {
        private readonly Stopwatch _clock = new();
        private int _stepsTimed = -1;

        /// <summary>The trainer's live progress (replaced when a checkpoint is resumed).</summary>
        public Func<TrainingProgress>? Source { get; set; }

        public void OnEpochStart(int epoch, int batchesPerEpoch, int startBatch) =>
            progress.Start(batchesPerEpoch, $"epoch {epoch + 1}/{settings.Epochs}");

        public void OnStep(int epoch, int batch, int batchesPerEpoch, double loss, double imagesPerSecond)
        {
            progress.Update(batch, loss, imagesPerSecond);
            if (_stepsTimed == TimedSteps) return;
            if (++_stepsTimed == 0) { _clock.Restart(); return; } // the first step warms up
            if (_stepsTimed < TimedSteps) return;
            double perStep = _clock.Elapsed.TotalSeconds / TimedSteps;
            int left = settings.Epochs - epoch;
            progress.Finish(string.Create(CultureInfo.InvariantCulture,
                $"time: {perStep:F3} s per step (measured over steps {batch - TimedSteps + 1}–{batch}) → about {Duration(perStep * batchesPerEpoch)} " +
                $"of training per epoch of {batchesPerEpoch} steps, {Duration(perStep * batchesPerEpoch * left)} for the {left} epoch(s) left, plus validation"));
        }

        public void OnEpochEnd(EpochMetrics m, string checkpointPath)
        {
            progress.Finish($"epoch {m.Epoch}/{settings.Epochs}: train loss {m.TrainLoss:F4}, train acc {m.TrainAccuracy:F4}, " +
                            $"val loss {m.ValLoss:F4}, val acc {m.ValAccuracy:F4}, {m.Seconds:F1} s, {m.ImagesPerSecond:F1} images/s");
            store.RecordEpoch(runId, m);
            store.RecordCheckpoint(runId, m.Epoch, checkpointPath);
            WriteReports();
        }

        public void OnInterrupted(string checkpointPath) => log.WriteLine($"stopped; checkpoint written to {checkpointPath}");

        private static string Duration(double seconds) =>
            RunFormatter.Duration(TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2)));

        private void WriteReports()
        {
            if (Source?.Invoke() is not { } p) return;
            MetricsCsv.Write(Path.Combine(runDir, "metrics.csv"), p.History);
            Chart.Save(TrainingChart.FromCurve(p.Curve, $"{settings.Model} on Fashion-MNIST {settings.Resize}x{settings.Resize}"), Path.Combine(runDir, "curves"));
        }
    }
}
