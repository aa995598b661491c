using NetBlocks.Tensors;
using Xunit;

namespace NetBlocks.Tests;

public class DeviceTests
{
    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData(" CPU ", "cpu")]
    [InlineData("meta", "meta")]
    [InlineData("cuda", "cuda:0")]
    [InlineData("CUDA:1", "cuda:1")]
    public void Devices_parse_and_print_as_torch_spells_them(string text, string printed)
        => Assert.Equal(printed, Device.Parse(text).ToString());

    [Fact]
    public void An_unknown_device_names_itself_and_what_is_known()
    {
        var e = Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
        Assert.Equal("unknown device 'tpu': expected cpu, meta, cuda or cuda:N", e.Message);
    }

    [Fact]
    public void A_new_tensor_is_a_float32_tensor_on_the_cpu()
    {
        var t = Tensor.Zeros(2, 3);
        Assert.Equal(Device.Cpu, t.Device);
        Assert.Equal(DType.Float32, t.DType);
    }
}
