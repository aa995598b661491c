using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Tensors;
using NetBlocks.Training;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// Checkpoints are written from CPU copies: the same model and optimizer state on the device (cuda:9 over the CPU
/// accelerator) and on the CPU give byte-identical files, and a device model loads a CPU checkpoint.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaCheckpointTests(CudaFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-cuda-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_device_model_writes_the_same_checkpoint_file_as_the_cpu_model()
    {
        const string spec = "vgg-bn:1x4,fc=8";
        int[] input = [2, 1, 16, 16];
        var settings = new TrainingSettings { Model = spec, Resize = 16, Batch = 2, Threads = 1 };
        RandomGenerator.ManualSeed(5);
        var cpuModel = ModelZoo.CreateBuilt(spec, input);
        RandomGenerator.ManualSeed(5);
        Module deviceModel;
        using (ParameterDevice.Use(fixture.Backend.Device)) deviceModel = ModelZoo.CreateBuilt(spec, input);
        var cpuOptimizer = new Sgd(cpuModel.Parameters(), 0.1f, momentum: 0.9f);
        var deviceOptimizer = new Sgd(deviceModel.Parameters(), 0.1f, momentum: 0.9f);
        var momentum = Enumerable.Range(0, cpuModel.Parameters().First().Numel).Select(i => i * 0.25f).ToArray();
        cpuOptimizer.SetMomentumBuffer(0, momentum);
        deviceOptimizer.SetMomentumBuffer(0, momentum);
        Assert.Equal(fixture.Backend.Device, deviceOptimizer.MomentumBuffer(0)!.Device);

        string cpuPath = Path.Combine(_dir, "cpu.safetensors"), devicePath = Path.Combine(_dir, "device.safetensors");
        TrainingCheckpoint.Save(cpuPath, cpuModel, cpuOptimizer, settings, new TrainingProgress());
        TrainingCheckpoint.Save(devicePath, deviceModel, deviceOptimizer, settings, new TrainingProgress());
        Assert.Equal(File.ReadAllBytes(cpuPath), File.ReadAllBytes(devicePath));

        Module reloaded;
        using (ParameterDevice.Use(fixture.Backend.Device)) reloaded = ModelZoo.CreateBuilt(spec, input);
        TrainingCheckpoint.Load(cpuPath, reloaded, new Sgd(reloaded.Parameters(), 0.1f, momentum: 0.9f));
        var expected = cpuModel.StateDict();
        var actual = reloaded.StateDict();
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Value.ToArray(), actual[i].Value.ToArray());
    }
}
