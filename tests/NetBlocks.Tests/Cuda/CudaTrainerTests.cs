using NetBlocks.Tensors;
using NetBlocks.Tests.Cli;
using NetBlocks.Training;
using NetBlocks.Workflows;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// The trainer on a device: a session made under a context for cuda:9 (a CudaBackend over the CPU accelerator) builds
/// its model there and uploads each batch; one epoch's losses and accuracies match the same epoch on the CPU within 1e-4,
/// with and without gradient clipping.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaTrainerTests(CudaFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-cuda-trainer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Plain, and with --grad-clip's clipping (a limit well under these gradients' norms, so every step clips).</summary>
    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void An_epoch_on_the_device_matches_the_epoch_on_the_cpu(float gradientClip)
    {
        var data = FashionMnistData.Load(TinyFashionMnist.Create(Path.Combine(_dir, "data"), train: 16, test: 8), verifyHashes: false);
        var settings = new TrainingSettings
        {
            Model = "vgg-bn:1x4,fc=8", Resize = 16, Epochs = 1, Batch = 4, LearningRate = 0.05f, Momentum = 0.9f, Seed = 3, Threads = 1,
            GradientClip = gradientClip,
        };
        var cpu = Fit(data, settings, Device.Cpu, "cpu.safetensors");
        var device = Fit(data, settings, fixture.Backend.Device, "device.safetensors");
        if (gradientClip > 0) // the clipping changes the epoch, so it was exercised
            Assert.NotEqual(Fit(data, settings with { GradientClip = 0 }, Device.Cpu, "unclipped.safetensors").ValLoss, cpu.ValLoss);
        CudaAssert.Close([cpu.TrainLoss, cpu.TrainAccuracy, cpu.ValLoss, cpu.ValAccuracy],
            [device.TrainLoss, device.TrainAccuracy, device.ValLoss, device.ValAccuracy], "epoch metrics");
    }

    private EpochMetrics Fit(NetBlocks.Data.FashionMnist data, TrainingSettings settings, Device device, string checkpoint)
    {
        using var context = new ExecutionContext(settings.Threads, device: device);
        using var session = TrainingSession.Create(data, settings, context);
        Assert.All(session.Model.Parameters(), p => Assert.Equal(device, p.Device));
        var trainer = session.Trainer();
        Assert.Equal(TrainingOutcome.Completed, trainer.Fit(session.Train, session.Val, Path.Combine(_dir, checkpoint)));
        return trainer.Progress.History[^1];
    }
}
