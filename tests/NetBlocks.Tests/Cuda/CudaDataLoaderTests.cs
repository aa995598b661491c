using NetBlocks.Data;
using NetBlocks.Tensors;
using NetBlocks.Tests.Data;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// The data loader under a context whose device is cuda:9 (the CPU accelerator): its prefetch threads make batches on
/// the device (uploaded at the source size, resized there), equal bit for bit to the CPU loader's batches, with
/// augmentation and normalisation; the bilinear mode is made on the CPU and uploaded; unconsumed device batches go back
/// to the device pool when the epoch is abandoned.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaDataLoaderTests(CudaFixture fixture)
{
    private static readonly ImageTransform Augmented = new()
    {
        Height = 20, Width = 24, Mean = 0.2860f, Std = 0.3530f, CropPadding = 2, HorizontalFlip = true,
    };

    [Theory]
    [InlineData(2, 0)]   // batches made on the consumer's thread
    [InlineData(2, 2)]   // two prefetch threads, two batches ahead
    public void Device_batches_equal_the_cpu_loaders_bit_for_bit(int batch, int prefetch)
    {
        var options = new DataLoaderOptions { BatchSize = batch, Seed = 11, Transform = Augmented, Prefetch = prefetch, Workers = prefetch };
        var dataset = DataTestSupport.Dataset(5, 12, 14);
        var expected = Epoch(dataset, options, Device.Cpu);
        var actual = Epoch(dataset, options, fixture.Backend.Device);
        Assert.Equal(expected.Count, actual.Count);
        for (int b = 0; b < expected.Count; b++)
        {
            Assert.Equal(expected[b].Shape, actual[b].Shape);
            Assert.Equal(expected[b].Labels, actual[b].Labels);
            Assert.Equal(expected[b].Values, actual[b].Values);
        }
    }

    [Fact]
    public void The_bilinear_mode_is_made_on_the_cpu_and_uploaded()
    {
        var options = new DataLoaderOptions
        {
            BatchSize = 3, Seed = 5, Prefetch = 1, Workers = 1,
            Transform = ImageTransform.Resize(16, ResizeMode.Bilinear),
        };
        var dataset = DataTestSupport.Dataset(4, 12, 12);
        var expected = Epoch(dataset, options, Device.Cpu);
        var actual = Epoch(dataset, options, fixture.Backend.Device);
        Assert.Equal(expected.Select(b => b.Values), actual.Select(b => b.Values));
    }

    [Fact]
    public void An_abandoned_epoch_gives_its_device_batches_back_to_the_pool()
    {
        var options = new DataLoaderOptions { BatchSize = 2, Seed = 1, Transform = Augmented, Prefetch = 3, Workers = 2 };
        var dataset = DataTestSupport.Dataset(16, 12, 14);
        using var context = new ExecutionContext(1, device: fixture.Backend.Device);
        using var scope = context.Enter();
        using var loader = new DataLoader(dataset, options);
        foreach (var warm in loader.Epoch(0)) warm.Images.Release(); // the taps and the table are uploaded once, and stay
        long before = fixture.Context.Memory.InUseBytes;
        using (var batches = loader.Epoch(1).GetEnumerator())
        {
            Assert.True(batches.MoveNext());
            Assert.Equal(fixture.Backend.Device, batches.Current.Images.Device);
            batches.Current.Images.Release();
            Assert.True(batches.MoveNext()); // workers now hold up to three more batches on the device
            batches.Current.Images.Release();
        }
        Assert.Equal(before, fixture.Context.Memory.InUseBytes);
    }

    private sealed record Made(int[] Shape, int[] Labels, float[] Values);

    /// <summary>One epoch under a context for <paramref name="device"/>: every batch must be on it when the consumer takes it.</summary>
    private static List<Made> Epoch(ImageDataset dataset, DataLoaderOptions options, Device device)
    {
        using var context = new ExecutionContext(1, device: device);
        using var scope = context.Enter();
        using var loader = new DataLoader(dataset, options);
        var made = new List<Made>();
        foreach (var batch in loader.Epoch(0))
        {
            Assert.Equal(device, batch.Images.Device);
            made.Add(new Made(batch.Images.ShapeArray, batch.Labels, batch.Images.ToArray()));
            batch.Images.Release();
        }
        return made;
    }
}
