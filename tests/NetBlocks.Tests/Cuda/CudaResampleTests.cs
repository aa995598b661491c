using NetBlocks.Data;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Tensors;
using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// The data loader's resize as a backend op (<see cref="F.ResampleImages"/>): on cuda:9 (the CPU accelerator) and on
/// the CPU backend, bit for bit the CPU loader's <see cref="PilResize"/> (its fused float path, AVX2 included) and
/// Pillow 9.4 itself (the fixtures of <c>ResizeTests</c>), up and down, square or not; its refusals, named.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaResampleTests(CudaFixture fixture)
{
    private static readonly OpFixture Pil = OpFixture.Load("data/resize_pil");

    public static TheoryData<string> PilCases() => new(Pil.Names.Where(n => n.StartsWith("out_", StringComparison.Ordinal)));

    /// <summary>Three 28×28 images from the Pillow fixture, as int32 byte values (3, 1, 28, 28).</summary>
    private static int[] Input() => Pil.Array("input").Select(v => checked((int)v)).ToArray();

    [Theory]
    [MemberData(nameof(PilCases))]
    public void The_device_resize_is_pillow_bit_for_bit(string name)
    {
        int[] shape = Pil.Shape(name);
        int n = shape[0], oh = shape[1], ow = shape[2];
        var expected = Pil.Array(name);
        var resample = ImageResample.Pillow(28, 28, oh, ow, PilResize.ToTensorTable());
        foreach (var device in new[] { Device.Cpu, fixture.Backend.Device })
        {
            var pixels = Tensor.FromArray(Input(), n, 1, 28, 28).To(device);
            var y = F.ResampleImages(pixels, resample);
            Assert.Equal(device, y.Device);
            Assert.Equal([n, 1, oh, ow], y.ShapeArray);
            var got = y.ToArray();
            for (int i = 0; i < got.Length; i++)
                if (got[i] != (float)expected[i] / 255f) Assert.Fail($"{name} on {device}, element {i}: {got[i]} != {expected[i]}/255");
            y.Release();
            pixels.Release();
        }
    }

    [Theory]
    [InlineData(28, 28, 32, 32)]   // the README main job's resize
    [InlineData(28, 28, 96, 96)]
    [InlineData(28, 28, 224, 224)]
    [InlineData(28, 28, 28, 28)]   // identity: only the table
    [InlineData(28, 28, 9, 13)]    // down, non-square, 3+ taps
    [InlineData(20, 12, 31, 7)]    // non-square source, up one way and down the other
    public void The_device_resize_equals_the_cpu_loader_resize(int ih, int iw, int oh, int ow)
    {
        var images = DataTestImages(2, ih, iw);
        var table = PilResize.ToTensorTable(0.2860f, 0.3530f); // with normalisation, as the loader's table
        var cpu = new PilResize(ih, iw, oh, ow);
        var expected = new float[2 * oh * ow];
        var scratch = new byte[cpu.ScratchSize];
        for (int i = 0; i < 2; i++)
            cpu.Apply(images.AsSpan(i * ih * iw, ih * iw), expected.AsSpan(i * oh * ow, oh * ow), scratch, table);

        var resample = new ImageResample(cpu.Rows, cpu.Columns, table);
        var values = images.Select(b => (int)b).ToArray();
        foreach (var device in new[] { Device.Cpu, fixture.Backend.Device })
        {
            var pixels = Tensor.FromArray(values, 2, ih, iw).To(device);
            var y = F.ResampleImages(pixels, resample);
            Assert.Equal([2, oh, ow], y.ShapeArray);
            Assert.Equal(expected, y.ToArray());
            y.Release();
            pixels.Release();
        }
    }

    private static byte[] DataTestImages(int n, int h, int w)
    {
        var random = new Random(h * 1000 + w);
        var bytes = new byte[n * h * w];
        random.NextBytes(bytes);
        bytes[0] = 0; bytes[1] = 255; // both ends of the range
        return bytes;
    }

    [Fact]
    public void A_float_tensor_is_refused_naming_the_op_and_the_dtype()
    {
        var resample = ImageResample.Pillow(4, 4, 8, 8, PilResize.ToTensorTable());
        var floats = Tensor.Empty(fixture.Backend.Device, 1, 4, 4);
        var e = Assert.Throws<ArgumentException>(() => F.ResampleImages(floats, resample));
        Assert.Equal("resample_images: expected int32 pixel values (0 to 255), got a float32 tensor of shape (1, 4, 4)", e.Message);
        floats.Release();
    }

    [Fact]
    public void Images_of_another_size_are_refused_with_both_sizes()
    {
        var resample = ImageResample.Pillow(4, 4, 8, 8, PilResize.ToTensorTable());
        var pixels = Tensor.FromArray(new int[2 * 5 * 4], 2, 5, 4).To(fixture.Backend.Device);
        var e = Assert.Throws<ArgumentException>(() => F.ResampleImages(pixels, resample));
        Assert.Equal("resample_images: expected images (…, 4, 4), got (2, 5, 4)", e.Message);
        pixels.Release();
    }

    [Fact]
    public void The_cuda_backend_refuses_a_tensor_on_another_device_naming_both()
    {
        var resample = ImageResample.Pillow(4, 4, 8, 8, PilResize.ToTensorTable());
        var pixels = Tensor.FromArray(new int[16], 1, 4, 4);
        var y = Tensor.Empty(fixture.Backend.Device, 1, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => fixture.Backend.ResampleImages(pixels, y, resample));
        Assert.Equal("ResampleImages: the cuda:9 backend was given a tensor on cpu (shape (1, 4, 4))", e.Message);
        y.Release();
    }

    [Fact]
    public void The_cpu_backend_refuses_a_value_that_is_not_a_byte()
    {
        var resample = ImageResample.Pillow(2, 2, 3, 3, PilResize.ToTensorTable());
        var pixels = Tensor.FromArray([0, 255, 256, 1], 1, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => F.ResampleImages(pixels, resample));
        Assert.Equal("pixel 2 is 256: an 8-bit image holds values 0 to 255", e.Message);
    }

    [Fact]
    public void A_table_without_256_entries_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageResample.Pillow(2, 2, 3, 3, new float[255]));
        Assert.StartsWith("the pixel table needs 256 entries (one per byte value), got 255", e.Message);
    }

    [Fact]
    public void The_taps_are_uploaded_once_per_distinct_resize()
    {
        var pixels = Tensor.FromArray(new int[36], 1, 6, 6).To(fixture.Backend.Device);
        F.ResampleImages(pixels, ImageResample.Pillow(6, 6, 12, 11, PilResize.ToTensorTable())).Release();
        long inUse = fixture.Context.Memory.InUseBytes;
        for (int i = 0; i < 3; i++) // equal resizes (another loader of the same run) share the uploaded taps and table
            F.ResampleImages(pixels, ImageResample.Pillow(6, 6, 12, 11, PilResize.ToTensorTable())).Release();
        Assert.Equal(inUse, fixture.Context.Memory.InUseBytes);
        F.ResampleImages(pixels, ImageResample.Pillow(6, 6, 12, 11, PilResize.ToTensorTable(0.5f, 0.25f))).Release();
        Assert.True(fixture.Context.Memory.InUseBytes > inUse, "another table is another upload");
        pixels.Release();
    }
}
