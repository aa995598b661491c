using NetBlocks.Autograd;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Tests.Nn;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// Issue #15 on a device: a plan made for a model on cuda:9 (a CudaBackend over ILGPU's CPU accelerator) prepares every
/// convolution without packing anything (the device's convolution reads the weights as they are), runs the ReLUs it
/// fuses as the device's convolution followed by its ReLU in place, and gives the CPU plan's outputs within 1e-4.
/// </summary>
[Collection(CudaCollection.Name)]
public sealed class CudaInferencePlanTests(CudaFixture fixture)
{
    [Theory]
    [InlineData("vgg:1x16,fc=8")]     // conv + ReLU: the ReLU fused with an unfolded convolution
    [InlineData("vgg-bn:1x16,fc=8")]  // conv + bn + ReLU: folded
    public void APlanOnTheDeviceMatchesTheCpuPlan(string name)
    {
        int[] shape = [2, 1, 16, 16];
        var cpuModel = InferencePlanTests.Trained(name, shape);
        var device = fixture.Backend.Device;
        Module deviceModel;
        using (ParameterDevice.Use(device)) deviceModel = ModelZoo.CreateBuilt(name, shape);
        deviceModel.LoadStateDict(cpuModel.StateDict().ToDictionary(s => s.Key, s => (s.Value.ShapeArray, s.Value.ToArray())));
        deviceModel.Eval();
        var x = Tensor.Normal(shape, generator: new RandomGenerator(12));

        var cpuPlan = InferencePlan.Create(cpuModel, shape);
        float[] cpu;
        using (cpuPlan.Enter())
        using (GradMode.NoGrad())
            cpu = cpuModel.Forward(x).ToArray();

        using var context = new ExecutionContext(1, device: device);
        using (context.Enter())
        {
            var plan = InferencePlan.Create(deviceModel, shape);
            Assert.Equal(cpuPlan.Convolutions.Count, plan.Convolutions.Count);
            Assert.Equal(cpuPlan.FusedRelus, plan.FusedRelus);
            Assert.True(plan.FusedRelus > 0);
            Assert.All(plan.Convolutions, c => Assert.Null(c.Packed));
            Assert.Equal(0, plan.PackedConvolutions);
            using (plan.Enter())
            using (GradMode.NoGrad())
            {
                var y = deviceModel.Forward(x.To(device));
                Assert.Equal(device, y.Device);
                CudaAssert.Close(cpu, y.ToArray(), $"{name} under the plan");
            }
        }
    }
}
