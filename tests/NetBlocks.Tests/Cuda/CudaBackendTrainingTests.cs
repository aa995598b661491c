using NetBlocks.Functional;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Tensors;
using NetBlocks.Training;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// Training steps through the engine on the device (cuda:9 over ILGPU's CPU accelerator) against the CPU. The whole
/// RegNetX32 training step at 28×28 (forward, cross-entropy, backward, SGD with momentum and weight decay: loss, every
/// gradient, every updated parameter and buffer within 1e-4) is `devices --verify`'s last check, run in CI by
/// <see cref="DeviceVerificationTests"/>; here, that the model built on the device starts from the CPU model's weights
/// bit for bit (the initialisers draw on the host), and a step with gradient clipping.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaBackendTrainingTests(CudaFixture fixture)
{
    [Fact]
    public void A_regnetx32_built_on_the_device_starts_from_the_cpu_models_weights_bit_for_bit()
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
    }

    /// <summary>
    /// A step with --grad-clip's clipping (<see cref="GradientClipping.ClipGlobalNorm"/>, as the trainer calls it between
    /// backward and the update) on a small VGG with batch norm and dropout (the same masks on both devices): the global norm (a sum of squares per gradient on the
    /// device) agrees with the CPU's within 1e-4 and exceeds the limit, so every gradient is scaled; the clipped gradients
    /// and the updated parameters agree with the CPU step within 1e-4.
    /// </summary>
    [Fact]
    public void A_step_with_gradient_clipping_on_the_device_matches_the_cpu_step()
    {
        var device = fixture.Backend.Device;
        int[] input = [3, 1, 12, 12];
        RandomGenerator.ManualSeed(7);
        var cpuModel = ModelZoo.CreateBuilt("vgg-bn:1x4,1x6,fc=8", input);
        RandomGenerator.ManualSeed(7);
        Module deviceModel;
        using (ParameterDevice.Use(device)) deviceModel = ModelZoo.CreateBuilt("vgg-bn:1x4,1x6,fc=8", input);
        var images = CudaAssert.Random(3 * 12 * 12, 78);
        int[] labels = [1, 9, 4];
        const float maxNorm = 0.05f;

        var (cpuNorm, cpuClipped) = ClippedStep(cpuModel, Tensor.FromArray(images, input), labels, maxNorm);
        var (deviceNorm, deviceClipped) = ClippedStep(deviceModel, Tensor.FromArray(images, input).To(device), labels, maxNorm);

        Assert.True(cpuNorm > maxNorm, $"the norm {cpuNorm} must exceed the limit for the clipping to be tested");
        CudaAssert.Close([cpuNorm], [deviceNorm], "global gradient norm");
        double clippedSquares = cpuClipped.Sum(g => g.Sum(v => (double)v * v));
        CudaAssert.Close([maxNorm * (double)maxNorm], [clippedSquares], "squared norm after clipping", tolerance: 1e-3);
        for (int i = 0; i < cpuClipped.Length; i++) CudaAssert.Close(cpuClipped[i], deviceClipped[i], $"clipped gradient {i}");
        var cpuAfter = cpuModel.StateDict();
        var deviceAfter = deviceModel.StateDict();
        for (int i = 0; i < cpuAfter.Count; i++)
            CudaAssert.Close(cpuAfter[i].Value.ToArray(), deviceAfter[i].Value.ToArray(), cpuAfter[i].Key);
    }

    private static (double Norm, float[][] Clipped) ClippedStep(Module model, Tensor images, int[] labels, float maxNorm)
    {
        var optimizer = new Sgd(model.Parameters(), lr: 0.1f, momentum: 0.9f, weightDecay: 5e-4f);
        RandomGenerator.ManualSeed(8); // the same dropout masks in both steps
        var loss = F.CrossEntropy(model.Forward(images), labels);
        loss.Backward();
        double norm = GradientClipping.ClipGlobalNorm(model.Parameters(), maxNorm);
        var clipped = model.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        optimizer.Step();
        return (norm, clipped);
    }
}
