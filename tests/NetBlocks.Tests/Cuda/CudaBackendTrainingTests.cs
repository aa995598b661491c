using NetBlocks.Functional;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// One whole training step of the zoo's RegNetX32 at 28×28 through the engine on the device (cuda:9 over ILGPU's CPU
/// accelerator): the model built under <see cref="ParameterDevice"/> on the device starts from the CPU model's weights
/// bit for bit (the initialisers draw on the host), then forward, cross-entropy, backward and SGD with momentum and
/// weight decay agree with the CPU step within 1e-4: loss, every gradient, every updated parameter and buffer.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaBackendTrainingTests(CudaFixture fixture)
{
    [Fact]
    public void A_regnetx32_training_step_on_the_device_matches_the_cpu_step()
    {
        var device = fixture.Backend.Device;
        int[] input = [2, 1, 28, 28];
        RandomGenerator.ManualSeed(2024);
        var cpuModel = ModelZoo.CreateBuilt("regnetx32", input);
        RandomGenerator.ManualSeed(2024);
        Module deviceModel;
        using (ParameterDevice.Use(device)) deviceModel = ModelZoo.CreateBuilt("regnetx32", input);
        Assert.All(deviceModel.Parameters(), p => Assert.Equal(device, p.Device));
        var cpuState = cpuModel.StateDict();
        var deviceState = deviceModel.StateDict();
        Assert.Equal(cpuState.Select(e => e.Key), deviceState.Select(e => e.Key));
        for (int i = 0; i < cpuState.Count; i++) Assert.Equal(cpuState[i].Value.ToArray(), deviceState[i].Value.ToArray());

        var images = CudaAssert.Random(2 * 28 * 28, 77);
        int[] labels = [3, 8];
        var (cpuLoss, cpuGradients) = Step(cpuModel, Tensor.FromArray(images, input), labels);
        var (deviceLoss, deviceGradients) = Step(deviceModel, Tensor.FromArray(images, input).To(device), labels);

        CudaAssert.Close([cpuLoss], [deviceLoss], "loss");
        for (int i = 0; i < cpuGradients.Length; i++) CudaAssert.Close(cpuGradients[i], deviceGradients[i], $"gradient {i}");
        var cpuAfter = cpuModel.StateDict();
        var deviceAfter = deviceModel.StateDict();
        for (int i = 0; i < cpuAfter.Count; i++)
            CudaAssert.Close(cpuAfter[i].Value.ToArray(), deviceAfter[i].Value.ToArray(), cpuAfter[i].Key);
    }

    private static (float Loss, float[][] Gradients) Step(Module model, Tensor images, int[] labels)
    {
        var optimizer = new Sgd(model.Parameters(), lr: 0.05f, momentum: 0.9f, weightDecay: 5e-4f);
        var loss = F.CrossEntropy(model.Forward(images), labels);
        loss.Backward();
        var gradients = model.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        optimizer.Step();
        return (loss.Item(), gradients);
    }
}
