using NetBlocks.Backends;
using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Tests;

/// <summary>How a tensor finds its backend, moves between devices, and is written by named methods.</summary>
public class BackendTests
{
    [Fact]
    public void A_cpu_tensor_computes_on_the_cpu_backend()
    {
        Assert.Same(CpuBackend.Instance, Backend.For(Device.Cpu));
        Assert.Same(CpuBackend.Instance, Tensor.Zeros(2).Backend);
        Assert.Equal(Device.Cpu, CpuBackend.Instance.Device);
    }

    [Fact]
    public void A_device_without_a_backend_is_named()
    {
        var e = Assert.Throws<NotSupportedException>(() => Backend.For(Device.Meta));
        Assert.Equal("a meta tensor has a shape and no elements: no backend computes on device 'meta'", e.Message);
    }

    [Fact]
    public void A_cuda_device_without_a_registered_backend_is_named()
    {
        var e = Assert.Throws<NotSupportedException>(() => Backend.For(Device.Cuda(7)));
        Assert.StartsWith("no backend computes on device 'cuda:7': none is registered for it", e.Message);
        var t = Tensor.Ones(2);
        Assert.Throws<NotSupportedException>(() => t.To(Device.Cuda(7)));
        var p = Assert.Throws<ArgumentException>(() => NetBlocks.Nn.ParameterDevice.Use(Device.Cuda(7)));
        Assert.Equal("parameters cannot live on device cuda:7: no backend is registered for it", p.Message);
    }

    [Fact]
    public void To_the_same_device_is_the_same_tensor_and_to_another_is_refused()
    {
        var t = Tensor.Ones(2, 2);
        Assert.Same(t, t.To(Device.Cpu));
        Assert.Same(t, t.To(Device.Parse("cpu")));
        var e = Assert.Throws<NotSupportedException>(() => t.To(Device.Meta));
        Assert.Equal("cannot move a tensor from cpu to meta: a meta tensor has a shape and no elements", e.Message);
    }

    [Fact]
    public void WriteRow_fills_rows_in_place_from_several_threads()
    {
        var t = Tensor.Zeros(64, 2, 3);
        Parallel.For(0, 64, row => t.WriteRow(row, row, static (span, r) => { for (int i = 0; i < span.Length; i++) span[i] = r * 10 + i; }));
        var values = t.ToArray();
        for (int r = 0; r < 64; r++)
        for (int i = 0; i < 6; i++) Assert.Equal(r * 10 + i, values[r * 6 + i]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.WriteRow(64, 0, static (_, _) => { }));
        Assert.StartsWith("row 64 out of range for shape (64, 2, 3)", e.Message);
    }

    [Fact]
    public void CopyFrom_values_needs_one_value_per_element()
    {
        var t = Tensor.Zeros(2, 2);
        t.CopyFrom([1f, 2f, 3f, 4f]);
        Assert.Equal([1f, 2f, 3f, 4f], t.ToArray());
        var e = Assert.Throws<ArgumentException>(() => t.CopyFrom([1f, 2f, 3f]));
        Assert.Equal("cannot copy 3 values into a tensor of shape (2, 2) (4 elements)", e.Message);
    }

    [Fact]
    public void Sum_of_squares_continues_a_running_total_in_element_order()
    {
        var a = Tensor.FromArray([3f, 4f], 2);
        var b = Tensor.FromArray([12f], 1);
        double total = CpuBackend.Instance.SumOfSquares(b, CpuBackend.Instance.SumOfSquares(a, 0));
        Assert.Equal(169.0, total);
    }

    [Fact]
    public void MatMul_reads_the_transposes_it_is_told_to()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);  // (2, 3)
        var b = Tensor.FromArray([1f, 0f, -1f, 2f, 1f, 0f], 2, 3); // (2, 3)
        var abT = Tensor.Empty(2, 2);
        CpuBackend.Instance.MatMul(a, false, b, true, abT);
        Assert.Equal(F.MatMul(a, b.T()).ToArray(), abT.ToArray());
        var aTb = Tensor.Empty(3, 3);
        CpuBackend.Instance.MatMul(a, true, b, false, aTb);
        Assert.Equal(F.MatMul(a.T(), b).ToArray(), aTb.ToArray());
    }
}
