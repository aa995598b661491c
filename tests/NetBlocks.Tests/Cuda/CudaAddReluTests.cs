using NetBlocks.Cuda;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Models;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// relu(a + b) on the device (<see cref="CudaElementwise.AddRelu"/>, the seam's <c>AddRelu</c>) on the CPU accelerator:
/// the kernel equals the CPU's <see cref="Elementwise.AddRelu"/> bit for bit, in place or not; through F and autograd
/// (in place over an intermediate, one tensor as both operands) values and gradients equal the CPU's bit for bit;
/// mixed devices are refused naming the op; a residual block trains on the device as on the CPU.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaAddReluTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;
    private readonly Device _device = fixture.Backend.Device;

    [Fact]
    public void The_kernel_equals_the_cpu_bit_for_bit_in_place_or_not()
    {
        const int n = 37;
        var a = CudaAssert.Random(n, 60);
        var b = CudaAssert.Random(n, 61);
        b[5] = -a[5];                                         // a sum of exactly 0
        var expected = new float[n];
        Elementwise.AddRelu(a, b, expected);

        using var dA = _gpu.Upload(a);
        using var dB = _gpu.Upload(b);
        using var dY = _gpu.Rent<float>(n);
        _gpu.Elementwise.AddRelu(dA.View, dB.View, dY.View);
        Assert.Equal(expected, dY.Download());
        _gpu.Elementwise.AddRelu(dA.View, dB.View, dA.View);
        Assert.Equal(expected, dA.Download());
        using var dShort = _gpu.Rent<float>(n - 1);
        var e = Assert.Throws<ArgumentException>(() => _gpu.Elementwise.AddRelu(dB.View, dShort.View, dY.View));
        Assert.Equal($"cuda add relu: views of {n - 1} and {n} elements", e.Message);
    }

    [Fact]
    public void Relu_and_add_relu_keep_NaN_and_make_minus_zero_plus_zero_as_the_cpu()
    {
        var x = NetBlocks.Tests.Functional.ReluNaNTests.Inputs();
        using var dX = _gpu.Upload(x);
        using var dZero = _gpu.Upload(new float[x.Length]);
        using var dY = _gpu.Rent<float>(x.Length);
        _gpu.Elementwise.Relu(dX.View, dY.View);
        NetBlocks.Tests.Functional.ReluNaNTests.AssertRelu(x, dY.Download());
        _gpu.Elementwise.AddRelu(dX.View, dZero.View, dY.View);
        NetBlocks.Tests.Functional.ReluNaNTests.AssertRelu(x, dY.Download());
    }

    private sealed record Graph(float[] Y, float[] Twice, float[] Da, float[] Db);

    /// <summary>relu(a·1 + b·1) written over a·1, then relu(h + h); the leaves' gradients of both.</summary>
    private static Graph Run(Device device)
    {
        int[] shape = [2, 3, 5, 3];
        Tensor Leaf(int seed)
        {
            var t = Tensor.FromArray(CudaAssert.Random(90, seed), shape).To(device);
            t.RequiresGrad = true;
            return t;
        }
        var a = Leaf(62);
        var b = Leaf(63);
        var y = F.AddReluConsuming(a * 1f, b * 1f);
        var h = a * 2f;
        var twice = F.AddReluConsuming(h, h);
        var values = y.ToArray();
        var twiceValues = twice.ToArray();
        var r = Tensor.FromArray(CudaAssert.Random(90, 64), shape).To(device);
        ((y * r).Sum() + (twice * r).Sum()).Backward();
        return new Graph(values, twiceValues, a.Grad!.ToArray(), b.Grad!.ToArray());
    }

    [Fact]
    public void Values_and_gradients_through_autograd_equal_the_cpu_bit_for_bit()
    {
        var cpu = Run(Device.Cpu);
        var dev = Run(_device);
        Assert.Contains(0f, cpu.Y);
        Assert.Equal(cpu.Y, dev.Y);
        Assert.Equal(cpu.Twice, dev.Twice);
        Assert.Equal(cpu.Da, dev.Da);
        Assert.Equal(cpu.Db, dev.Db);
    }

    [Fact]
    public void Operands_on_two_devices_are_refused_naming_the_op()
    {
        var e = Assert.Throws<ArgumentException>(() => F.AddRelu(Tensor.Ones(2).To(_device), Tensor.Ones(2)));
        Assert.Equal("add_relu: expected all tensors on the same device, found cuda:9 and cpu (move them with To(device) first)", e.Message);
        var c = Assert.Throws<ArgumentException>(() => F.AddReluConsuming(Tensor.Ones(2).To(_device) * 1f, Tensor.Ones(2)));
        Assert.Equal(e.Message, c.Message);
    }

    [Fact]
    public void A_residual_block_on_the_device_matches_the_cpu()
    {
        // torchvision's bottleneck with an identity shortcut, built on each device from the same seed (the device's
        // weights are the CPU's), one forward and backward: the fused sum and ReLU, and the shared masked gradient.
        static (float[] Y, float[] Dx) Step(Device device)
        {
            RandomGenerator.ManualSeed(8);
            using var scope = NetBlocks.Nn.ParameterDevice.Use(device);
            var block = new ResBottleneckBlock(4, 4, 1, 2);
            block.Build(2, 4, 3, 3);
            var x = Tensor.FromArray(CudaAssert.Random(72, 65), 2, 4, 3, 3).To(device);
            x.RequiresGrad = true;
            var output = block.Forward(x);
            var y = output.ToArray();
            output.Sum().Backward();
            return (y, x.Grad!.ToArray());
        }
        var cpu = Step(Device.Cpu);
        var dev = Step(_device);
        CudaAssert.Close(cpu.Y, dev.Y, "block output");
        CudaAssert.Close(cpu.Dx, dev.Dx, "block input gradient");
    }
}
