using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Training;

namespace NetBlocks.Tests.Training;

public class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-train-").FullName;
    private readonly ExecutionContext _context = new(Settings().Threads);

    public void Dispose()
    {
        _context.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static TrainingSettings Settings(int epochs = 3) => new()
    {
        Model = "test-convnet", Epochs = epochs, Batch = 32, LearningRate = 0.05f, Momentum = 0.9f, WeightDecay = 1e-4f,
        Schedule = "cosine", Seed = 7, Threads = 2, Resize = 8,
    };

    /// <summary>Conv + BN + dropout: every kind of state a resume must restore (weights, BN statistics, momentum, RNG).</summary>
    private static Module NewModel(ulong seed)
    {
        RandomGenerator.ManualSeed(seed);
        var m = new Sequential(Conv2d.Lazy(6, 3, padding: 1), new BatchNorm2d(), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Dropout(0.3f), Linear.Lazy(3));
        m.Build(1, 1, 8, 8);
        m.Apply(Init.InitCnn);
        return m;
    }

    private (Trainer Trainer, TrainingOutcome Outcome) Run(TrainingSettings s, string ckpt, ITrainingObserver? observer = null, CancellationToken cancel = default, string? resumeFrom = null)
    {
        var trainer = new Trainer(NewModel(s.Seed), s, _context, observer);
        if (resumeFrom is not null) trainer.Resume(resumeFrom);
        var outcome = trainer.Fit(new SyntheticBatches(200, s.Batch, s.Seed), new SyntheticBatches(90, 64, 0, shuffle: false, dataSeed: 5), ckpt, cancel);
        return (trainer, outcome);
    }

    private static double[][] Numbers(TrainingProgress p) =>
        p.History.Select(m => new[] { m.Epoch, m.TrainLoss, m.TrainAccuracy, m.ValLoss, m.ValAccuracy }).ToArray();

    private static float[][] Weights(Module m) => m.StateDict().Select(s => s.Value.ToArray()).ToArray();

    [Fact]
    public void TheLossFallsAndTheModelLearns()
    {
        var (t, outcome) = Run(Settings(), Path.Combine(_dir, "a.safetensors"));
        Assert.Equal(TrainingOutcome.Completed, outcome);
        var h = t.Progress.History;
        Assert.Equal(3, h.Count);
        Assert.True(h[^1].TrainLoss < h[0].TrainLoss * 0.7, $"train loss {h[0].TrainLoss:F3} → {h[^1].TrainLoss:F3}");
        Assert.True(h[^1].ValAccuracy > 0.9, $"val accuracy {h[^1].ValAccuracy:F3}");
        Assert.All(h, m => Assert.True(m.Seconds > 0 && m.ImagesPerSecond > 0));
    }

    [Fact]
    public void TwoRunsWithTheSameSeedAreIdentical()
    {
        var (a, _) = Run(Settings(2), Path.Combine(_dir, "a.safetensors"));
        var (b, _) = Run(Settings(2), Path.Combine(_dir, "b.safetensors"));
        Assert.Equal(Numbers(a.Progress), Numbers(b.Progress));
        Assert.Equal(Weights(a.Model), Weights(b.Model));
    }

    private sealed class CancelAt(CancellationTokenSource cts, int epoch, int batch) : ITrainingObserver
    {
        public void OnStep(int e, int b, int perEpoch, double loss, double ips) { if (e == epoch && b == batch) cts.Cancel(); }
    }

    [Fact]
    public void ResumingAfterAStopMidEpochEndsExactlyLikeAnUninterruptedRun()
    {
        var (full, _) = Run(Settings(), Path.Combine(_dir, "full.safetensors"));

        var ckpt = Path.Combine(_dir, "stopped.safetensors");
        using var cts = new CancellationTokenSource();
        var (stopped, outcome) = Run(Settings(), ckpt, new CancelAt(cts, epoch: 1, batch: 3), cts.Token);
        Assert.Equal(TrainingOutcome.Interrupted, outcome);
        Assert.Equal(1, stopped.Progress.Epoch);
        Assert.Equal(3, stopped.Progress.BatchInEpoch);

        var (resumed, again) = Run(Settings(), ckpt, resumeFrom: ckpt);
        Assert.Equal(TrainingOutcome.Completed, again);
        Assert.Equal(Numbers(full.Progress), Numbers(resumed.Progress));
        Assert.Equal(Weights(full.Model), Weights(resumed.Model));
    }

    private sealed class DieAt(int epoch, int batch) : ITrainingObserver
    {
        public void OnStep(int e, int b, int perEpoch, double loss, double ips)
        {
            if (e == epoch && b == batch) throw new OperationCanceledException("killed");
        }
    }

    [Fact]
    public void AfterAnAbruptDeathMidEpochTheLastEpochCheckpointResumesExactly()
    {
        var (full, _) = Run(Settings(), Path.Combine(_dir, "full.safetensors"));
        var ckpt = Path.Combine(_dir, "killed.safetensors");
        Assert.Throws<OperationCanceledException>(() => Run(Settings(), ckpt, new DieAt(epoch: 2, batch: 4)));
        var (_, progress) = TrainingCheckpoint.ReadState(ckpt);
        Assert.Equal(2, progress.Epoch);
        Assert.Equal(0, progress.BatchInEpoch);

        var (resumed, _) = Run(Settings(), ckpt, resumeFrom: ckpt);
        Assert.Equal(Numbers(full.Progress), Numbers(resumed.Progress));
        Assert.Equal(Weights(full.Model), Weights(resumed.Model));
    }

    [Fact]
    public void ANonFiniteLossStopsWithTheStepTheCheckpointAndAHint()
    {
        var s = Settings(3) with { LearningRate = 1e6f, Momentum = 0, Schedule = "constant" };
        var e = Assert.Throws<TrainingDivergedException>(() => Run(s, Path.Combine(_dir, "nan.safetensors")));
        Assert.Matches(@"the loss became (NaN|∞|-∞|Infinity) at step \d+ \(epoch \d\)", e.Message);
        Assert.Contains("Hint: lower the learning rate (it was 1E+06), e.g. --lr 1E+05", e.Message);
    }

    /// <summary>The validation images times 1e38: the forward pass overflows, the validation loss is not finite.</summary>
    private sealed class OverflowingBatches(IBatchSource inner) : IBatchSource
    {
        public int Count => inner.Count;
        public int BatchesPerEpoch => inner.BatchesPerEpoch;

        public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0)
        {
            foreach (var b in inner.Epoch(epoch, startBatch))
            {
                var span = b.Images.Span;
                for (int i = 0; i < span.Length; i++) span[i] = span[i] * 1e38f;
                yield return b;
            }
        }
    }

    [Fact]
    public void ANonFiniteValidationLossIsRecordedAndTheRunGoesOn()
    {
        var s = Settings(2);
        var ckpt = Path.Combine(_dir, "overflow.safetensors");
        var trainer = new Trainer(NewModel(s.Seed), s, _context);
        var outcome = trainer.Fit(new SyntheticBatches(200, s.Batch, s.Seed),
            new OverflowingBatches(new SyntheticBatches(90, 64, 0, shuffle: false, dataSeed: 5)), ckpt);
        Assert.Equal(TrainingOutcome.Completed, outcome);
        Assert.Equal(2, trainer.Progress.History.Count);
        Assert.All(trainer.Progress.History, m => Assert.False(double.IsFinite(m.ValLoss)));
        Assert.All(trainer.Progress.History, m => Assert.True(double.IsFinite(m.TrainLoss)));
        var (_, saved) = TrainingCheckpoint.ReadState(ckpt);
        Assert.Equal(2, saved.Epoch);
        Assert.True(double.IsNaN(saved.History[1].ValLoss));
        Assert.Equal(trainer.Progress.History[1].TrainLoss, saved.History[1].TrainLoss);
    }

    [Fact]
    public void CheckpointsCarryTheSettingsAndLoadIntoPyTorchNames()
    {
        var ckpt = Path.Combine(_dir, "c.safetensors");
        Run(Settings(1), ckpt);
        var (settings, progress) = TrainingCheckpoint.ReadState(ckpt);
        Assert.Equal(Settings(1), settings);
        Assert.Single(progress.History);
        var file = NetBlocks.Serialization.SafeTensors.Read(ckpt);
        Assert.Contains("0.weight", file.Tensors.Keys);
        Assert.Contains("1.running_var", file.Tensors.Keys);
        Assert.Contains("optimizer.momentum_buffer.6.weight", file.Tensors.Keys);
        var plain = Path.Combine(_dir, "plain.safetensors");
        NetBlocks.Serialization.Checkpoint.Save(NewModel(1), plain);
        Assert.Contains("not a NetBlocks training checkpoint", Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.ReadState(plain)).Message);
    }
}
