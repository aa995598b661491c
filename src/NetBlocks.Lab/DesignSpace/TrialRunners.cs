using System.Diagnostics;
using System.Globalization;
using NetBlocks.Data;
using NetBlocks.Training;
using NetBlocks.Workflows;

namespace NetBlocks.DesignSpace;

/// <summary>
/// Trains one trial. Called from several worker threads at once, each trial with an <see cref="ExecutionContext"/> of its
/// own (its kernel threads, pool and profile), which is in force on the calling thread during <see cref="Run"/>.
/// </summary>
public interface ITrialRunner
{
    /// <summary>
    /// Checks, before any trial is claimed, that this process can train the sweep's trials at all (its data, its scratch
    /// space), and throws a <see cref="WorkerEnvironmentException"/> that says what is wrong if it cannot.
    /// </summary>
    void Prepare(SweepDefinition sweep) { }

    /// <summary>
    /// Trains the trial. A diverged training is a result (<see cref="TrialResult.Diverge"/>); an error of the worker's
    /// environment is a <see cref="WorkerEnvironmentException"/> (or see <see cref="WorkerEnvironmentException.IsEnvironmental"/>);
    /// any other exception is the trial's own error.
    /// </summary>
    TrialResult Run(TrialClaim claim, SweepDefinition sweep, ExecutionContext context, CancellationToken cancel);
}

/// <summary>
/// The real trial: the spec from the zoo, trained with the sweep's settings on Fashion-MNIST (d2l's Trainer: SGD,
/// cross-entropy), error = 1 − validation accuracy after the last epoch. The dataset is read once and shared by all
/// workers of the process. Every trial reseeds its thread's generator with the sweep seed, so a trial is reproducible
/// from its spec and the sweep settings. A diverged run (a training or validation loss that is not finite) is a result,
/// not a failure: chance-level error (<see cref="TrialResult.Diverge"/>). Data that cannot be read, and scratch space
/// (the temporary folder, where each trial's checkpoints go) that cannot be written, are the worker's environment.
/// </summary>
public sealed class FashionMnistTrialRunner(string? dataDir, bool verifyHashes = true) : ITrialRunner
{
    private readonly Lazy<FashionMnist> data = new(() => FashionMnist.Load(dataDir, new DataOptions { VerifyHashes = verifyHashes }));

    private static string ScratchFolder => Path.GetTempPath();

    public void Prepare(SweepDefinition sweep)
    {
        _ = Data();
        var probe = Path.Combine(ScratchFolder, $"netblocks-trial-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, [0]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkerEnvironmentException($"cannot write trial checkpoints to the temporary folder {ScratchFolder}: {e.Message}; set TMPDIR to a writable folder", e);
        }
    }

    private FashionMnist Data()
    {
        try { return data.Value; }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new WorkerEnvironmentException($"cannot read the training data: {e.Message}", e);
        }
    }

    public TrialResult Run(TrialClaim claim, SweepDefinition sweep, ExecutionContext context, CancellationToken cancel)
    {
        var settings = sweep.Settings.ForModel(claim.Spec, context.Threads);
        using var session = TrainingSession.Create(Data(), settings, context);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var trainer = session.Trainer(new StopWhenDiverged(stop));
        var checkpoint = Path.Combine(ScratchFolder, $"netblocks-trial-{Environment.ProcessId}-{claim.Id}-{Guid.NewGuid():N}.safetensors");
        var clock = Stopwatch.StartNew();
        TrialResult Diverged(string reason) => TrialResult.Diverge(settings.Classes, clock.Elapsed.TotalSeconds, trainer.Progress.History, reason);
        TrainingOutcome outcome;
        try
        {
            outcome = trainer.Fit(session.Train, session.Val, checkpoint, stop.Token);
        }
        catch (TrainingDivergedException e)
        {
            return Diverged($"diverged: the training loss became NaN or infinite at step {e.Step}");
        }
        catch (Exception) when (FirstDiverged(trainer.Progress.History) is { } epoch)
        {
            // The epoch is in the history before its checkpoint is written; whatever failed after it (e.g. writing its
            // non-finite numbers), the trial has diverged.
            return Diverged(Describe(epoch));
        }
        finally
        {
            try { File.Delete(checkpoint); } catch (IOException) { }
        }
        var history = trainer.Progress.History.ToList();
        if (FirstDiverged(history) is { } bad) return Diverged(Describe(bad));
        if (outcome == TrainingOutcome.Interrupted) throw new OperationCanceledException("the trial was interrupted", cancel);
        return new TrialResult(1 - history[^1].ValAccuracy, clock.Elapsed.TotalSeconds, history);
    }

    /// <summary>Ends training after an epoch whose numbers are not finite: the trial has diverged, more epochs only cost time.</summary>
    private sealed class StopWhenDiverged(CancellationTokenSource stop) : ITrainingObserver
    {
        public void OnEpochEnd(EpochMetrics metrics, string checkpointPath)
        {
            if (!TrialResult.IsFinite(metrics)) stop.Cancel();
        }
    }

    private static EpochMetrics? FirstDiverged(IEnumerable<EpochMetrics> history) => history.FirstOrDefault(m => !TrialResult.IsFinite(m));

    private static string Describe(EpochMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"diverged: epoch {m.Epoch} ended with training loss {m.TrainLoss:G4} and validation loss {m.ValLoss:G4}");
}

/// <summary>
/// A stand-in for training, to exercise claims, leases and retries without the cost of training: sleeps
/// <paramref name="milliseconds"/> (cancellably) and returns an error derived from the spec (the same every time).
/// When <paramref name="completionLog"/> is set, appends "trial-id attempt pid" to it each time a run finishes, so
/// tests can check that no trial was run to completion twice.
/// </summary>
public sealed class SimulatedTrialRunner(int milliseconds, string? completionLog = null) : ITrialRunner
{
    public TrialResult Run(TrialClaim claim, SweepDefinition sweep, ExecutionContext context, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        if (cancel.WaitHandle.WaitOne(milliseconds)) throw new OperationCanceledException("the trial was interrupted", cancel);
        double error = ErrorOf(claim.Spec);
        if (completionLog is not null) AppendLine(completionLog, $"{claim.Id} {claim.Attempt} {Environment.ProcessId}");
        return new TrialResult(error, clock.Elapsed.TotalSeconds,
            [new EpochMetrics(1, error * 2, 1 - error, error * 2, 1 - error, clock.Elapsed.TotalSeconds, 0)]);
    }

    /// <summary>A stable error in [0.1, 0.9) from the spec's characters (FNV-1a), independent of process and platform.</summary>
    public static double ErrorOf(string spec)
    {
        uint h = 2166136261;
        foreach (char c in spec) h = (h ^ c) * 16777619;
        return 0.1 + 0.8 * (h % 10_000) / 10_000.0;
    }

    private static void AppendLine(string path, string line)
    {
        for (int attempt = 0; ; attempt++)
        {
            try { File.AppendAllText(path, line + "\n"); return; }
            catch (IOException) when (attempt < 50) { Thread.Sleep(20); }
        }
    }
}
