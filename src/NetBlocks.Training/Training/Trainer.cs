using System.Diagnostics;
using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Tensors;

namespace NetBlocks.Training;

public enum TrainingOutcome { Completed, Interrupted }

/// <summary>
/// d2l's Trainer, for classification with cross-entropy and SGD: per step zero the gradients, forward, loss,
/// backward, optional gradient clipping, update; per epoch evaluate on the validation split and write a checkpoint.
/// Reproducible bit for bit for a given seed and thread count; stops cleanly on cancellation (Ctrl+C) after the
/// current step with a resumable checkpoint. Runs under the <see cref="ExecutionContext"/> its caller gives it, whose
/// thread count is the settings' (recorded in every checkpoint), on that context's device: batches are uploaded there
/// before the forward, and checkpoints are written from CPU copies, so they are the same files whichever device wrote them.
/// </summary>
public sealed class Trainer
{
    private readonly ITrainingObserver _observer;
    private readonly LearningRateSchedule _schedule;

    public Module Model { get; }
    public Sgd Optimizer { get; }
    public TrainingSettings Settings { get; }
    /// <summary>What <see cref="Fit"/> runs under: its threads, pool and kernel policy.</summary>
    public ExecutionContext Context { get; }
    public TrainingProgress Progress { get; private set; } = new();
    public string? LastCheckpoint { get; private set; }

    /// <param name="model">A built (materialised) model, initialised.</param>
    /// <param name="context">What to train under; its thread count must be <paramref name="settings"/>.Threads.</param>
    /// <exception cref="ArgumentException">the context runs another thread count than the settings say.</exception>
    public Trainer(Module model, TrainingSettings settings, ExecutionContext context, ITrainingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!model.IsMaterialized) throw new InvalidOperationException("the model must be built (materialised) before training");
        if (context.Threads != settings.Threads)
            throw new ArgumentException($"the execution context runs {context.Threads} thread(s) but the settings say --threads {settings.Threads}: " +
                                        "the run would not be reproducible from its recorded settings; make the context from the settings' thread count", nameof(context));
        Model = model;
        Settings = settings;
        Context = context;
        _observer = observer ?? new NullObserver();
        _schedule = LearningRateSchedule.Parse(settings.Schedule);
        Optimizer = new Sgd(model.Parameters(), settings.LearningRate, settings.Momentum, settings.WeightDecay, settings.Nesterov);
        Progress.Rng = RandomGenerator.Default.GetState();
    }

    /// <summary>Continues from a checkpoint written by this trainer's <see cref="Fit"/> (weights, momentum, random state, position).</summary>
    public void Resume(string checkpointPath)
    {
        var (_, progress) = TrainingCheckpoint.ReadState(checkpointPath);
        TrainingCheckpoint.Load(checkpointPath, Model, Optimizer);
        Progress = progress;
        RandomGenerator.Default.SetState(progress.Rng);
        LastCheckpoint = checkpointPath;
    }

    public TrainingOutcome Fit(IBatchSource train, IBatchSource val, string checkpointPath, CancellationToken cancel = default)
    {
        using var inForce = Context.Enter();
        var p = Progress;
        while (p.Epoch < Settings.Epochs)
        {
            Model.Train();
            int perEpoch = train.BatchesPerEpoch;
            _observer.OnEpochStart(p.Epoch, perEpoch, p.BatchInEpoch);
            var clock = Stopwatch.StartNew();
            double secondsBefore = p.TrainSeconds; // from before an interruption, when resuming mid-epoch
            foreach (var batch in train.Epoch(p.Epoch, p.BatchInEpoch))
            {
                Optimizer.LearningRate = _schedule.At(Settings.LearningRate, p.Epoch + (double)p.BatchInEpoch / perEpoch, Settings.Epochs);
                double loss = Step(batch, out int correct);
                if (!double.IsFinite(loss))
                    throw new TrainingDivergedException(p.GlobalStep + 1, p.Epoch, loss, LastCheckpoint, Optimizer.LearningRate);
                int n = batch.Labels.Length;
                p.LossSum += loss * n; p.Correct += correct; p.Seen += n;
                p.BatchInEpoch++; p.GlobalStep++;
                p.TrainSeconds = secondsBefore + clock.Elapsed.TotalSeconds;
                RecordTrainLoss(loss, perEpoch);
                _observer.OnStep(p.Epoch, p.BatchInEpoch, perEpoch, loss, p.Seen / Math.Max(p.TrainSeconds, 1e-9));
                if (cancel.IsCancellationRequested && p.BatchInEpoch < perEpoch) return Interrupt(checkpointPath);
            }

            var evalClock = Stopwatch.StartNew();
            var (valLoss, valAcc) = Evaluate(Model, val);
            double seen = Math.Max(p.Seen, 1);
            var metrics = new EpochMetrics(p.Epoch + 1, p.LossSum / seen, p.Correct / seen, valLoss, valAcc,
                p.TrainSeconds + evalClock.Elapsed.TotalSeconds, p.Seen / Math.Max(p.TrainSeconds, 1e-9));
            p.History.Add(metrics);
            p.Curve.Add(new CurvePoint(p.Epoch + 1, "val_loss", valLoss));
            p.Curve.Add(new CurvePoint(p.Epoch + 1, "val_acc", valAcc));
            p.ResetEpochAccumulators();
            p.Epoch++;
            SaveCheckpoint(checkpointPath);
            _observer.OnEpochEnd(metrics, checkpointPath);
            if (cancel.IsCancellationRequested && p.Epoch < Settings.Epochs)
            {
                _observer.OnInterrupted(checkpointPath);
                return TrainingOutcome.Interrupted;
            }
        }
        return TrainingOutcome.Completed;
    }

    /// <summary>Like d2l's ProgressBoard (plot_train_per_epoch = 2): the mean train loss of each half epoch.</summary>
    private void RecordTrainLoss(double loss, int perEpoch)
    {
        var p = Progress;
        p.WindowLossSum += loss;
        p.WindowBatches++;
        int window = Math.Max(1, (perEpoch + PointsPerEpoch - 1) / PointsPerEpoch);
        if (p.WindowBatches < window && p.BatchInEpoch < perEpoch) return;
        p.Curve.Add(new CurvePoint(p.Epoch + (double)p.BatchInEpoch / perEpoch, "train_loss", p.WindowLossSum / p.WindowBatches));
        p.WindowLossSum = 0;
        p.WindowBatches = 0;
    }

    /// <summary>Train-loss points per epoch on the curve.</summary>
    public const int PointsPerEpoch = 2;

    private TrainingOutcome Interrupt(string checkpointPath)
    {
        SaveCheckpoint(checkpointPath);
        _observer.OnInterrupted(checkpointPath);
        return TrainingOutcome.Interrupted;
    }

    private void SaveCheckpoint(string path)
    {
        Progress.Rng = RandomGenerator.Default.GetState();
        TrainingCheckpoint.Save(path, Model, Optimizer, Settings, Progress);
        LastCheckpoint = path;
    }

    /// <summary>
    /// One SGD step on a batch; returns the loss and counts the correct predictions. On a GPU the host waits once, for
    /// the loss (the predictions, queued before it, are ready by then); backward and the update are queued without waiting.
    /// </summary>
    private double Step(Batch batch, out int correct)
    {
        Optimizer.ZeroGrad();
        var images = OnDevice(batch.Images);
        var logits = Model.Forward(images);
        var predictions = logits.ArgMax(1);
        var loss = F.CrossEntropy(logits, batch.Labels);
        double value = loss.Item();
        correct = CountCorrect(Downloaded(predictions), batch.Labels);
        if (double.IsFinite(value))
        {
            loss.Backward();
            if (Settings.GradientClip > 0) GradientClipping.ClipGlobalNorm(Model.Parameters(), Settings.GradientClip);
            Optimizer.Step();
        }
        batch.Images.Release();
        if (!ReferenceEquals(images, batch.Images)) images.Release();
        return value;
    }

    /// <summary>
    /// A batch's images on the current context's device. The data loader already makes them there (uploaded and resized
    /// on its prefetch threads), so this is the same tensor; another batch source's CPU images are uploaded here.
    /// </summary>
    private static Tensor OnDevice(Tensor images) => images.To(ExecutionContext.Current.Device);

    /// <summary>Mean cross-entropy and accuracy over a split, in eval mode without a graph. Restores the previous mode.</summary>
    public static (double Loss, double Accuracy) Evaluate(Module model, IBatchSource data, Action<int[], int[]>? onPredictions = null)
    {
        bool wasTraining = model.Training;
        model.Eval();
        double lossSum = 0; long correct = 0, seen = 0;
        using (GradMode.NoGrad())
        {
            foreach (var batch in data.Epoch(0))
            {
                var images = OnDevice(batch.Images);
                var logits = model.Forward(images);
                var predictions = logits.ArgMax(1);
                var loss = F.CrossEntropy(logits, batch.Labels);
                lossSum += loss.Item() * batch.Labels.Length;
                var predicted = Downloaded(predictions);
                correct += CountCorrect(predicted, batch.Labels);
                seen += batch.Labels.Length;
                onPredictions?.Invoke(predicted, batch.Labels);
                logits.Release();
                batch.Images.Release();
                if (!ReferenceEquals(images, batch.Images)) images.Release();
            }
        }
        model.Train(wasTraining);
        return (lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1));
    }

    /// <summary>A batch's predicted classes (the argmax tensor) on the host; the tensor is released.</summary>
    private static int[] Downloaded(Tensor predictions)
    {
        var predicted = predictions.ToInt32Array();
        predictions.Release();
        return predicted;
    }

    private static int CountCorrect(int[] pred, int[] labels)
    {
        int c = 0;
        for (int i = 0; i < labels.Length; i++) if (pred[i] == labels[i]) c++;
        return c;
    }

    private sealed class NullObserver : ITrainingObserver;
}
