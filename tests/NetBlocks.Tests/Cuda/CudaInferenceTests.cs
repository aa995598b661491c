using NetBlocks.Serialization;
using NetBlocks.Tensors;
using NetBlocks.Tests.Cli;
using NetBlocks.Tests.Nn;
using NetBlocks.Training;
using NetBlocks.Workflows;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// `eval` and `predict` on a device: an <see cref="InferenceModel"/> loaded under a context for cuda:9 (a CudaBackend over
/// ILGPU's CPU accelerator) has its parameters there, runs its inference plan (batch norm folded) there, and gives the
/// CPU's loss and accuracy within 1e-4, the same confusion matrix, probabilities within 1e-4 and the same predictions.
/// </summary>
[Collection(CudaCollection.Name)]
public sealed class CudaInferenceTests(CudaFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-cuda-inference-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Eval_and_predict_on_the_device_match_the_cpu()
    {
        const string name = "vgg-bn:1x4,fc=8";
        var model = InferencePlanTests.Trained(name, [1, 1, 16, 16]);
        var path = Path.Combine(_dir, "model.safetensors");
        Checkpoint.Save(model, path, new Dictionary<string, string> { ["model"] = name, ["resize"] = "16", ["classes"] = "10" });
        var data = FashionMnistData.Load(TinyFashionMnist.Create(Path.Combine(_dir, "data"), train: 4, test: 12), verifyHashes: false);

        var cpu = Evaluate(path, data, Device.Cpu);
        var device = Evaluate(path, data, fixture.Backend.Device);

        CudaAssert.Close([cpu.Loss, cpu.Accuracy], [device.Loss, device.Accuracy], "loss and accuracy");
        Assert.Equal(cpu.Confusion, device.Confusion);
        for (int i = 0; i < cpu.Probabilities.Length; i++)
        {
            CudaAssert.Close(cpu.Probabilities[i], device.Probabilities[i], $"probabilities of image {i}");
            Assert.Equal(ArgMax(cpu.Probabilities[i]), ArgMax(device.Probabilities[i]));
        }
    }

    private static int ArgMax(float[] p) => Array.IndexOf(p, p.Max());

    private static (double Loss, double Accuracy, long[,] Confusion, float[][] Probabilities) Evaluate(string path, NetBlocks.Data.FashionMnist data, Device device)
    {
        using var context = new ExecutionContext(1, device: device);
        var m = InferenceModel.Load(path, context: context);
        Assert.NotNull(m.Plan);
        Assert.NotEmpty(m.Plan!.Folds);
        Assert.All(m.Model.Parameters(), p => Assert.Equal(device, p.Device));
        Assert.All(m.Plan.Folds, f => Assert.Equal(device, f.Weight.Device));
        var (_, val) = FashionMnistData.Loaders(data, new TrainingSettings { Model = m.Name, Resize = m.Resize, Batch = 5 });
        using var _v = val;
        var (loss, accuracy, confusion) = m.Evaluate(val);
        var images = Enumerable.Range(0, 6).Select(i => (28, 28, data.Test.Image(i).ToArray())).ToList();
        var probabilities = m.Probabilities(m.Prepare(images));
        return (loss, accuracy, confusion, probabilities);
    }
}
