using NetBlocks.Cuda;

namespace NetBlocks.Tests.Cuda;

/// <summary>The caching device allocator: size classes, reuse, deterministic release.</summary>
[Collection(CudaCollection.Name)]
public class DeviceMemoryPoolTests(CudaFixture fixture)
{
    [Theory]
    [InlineData(0, 256)]
    [InlineData(256, 256)]
    [InlineData(257, 512)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, 2 << 20)]
    [InlineData((5 << 20) + 3, 6 << 20)]
    public void RequestsRoundUpToTheirSizeClass(long bytes, long expected) => Assert.Equal(expected, DeviceMemoryPool.SizeClass(bytes));

    [Fact]
    public void AReturnedBufferServesTheNextRequestOfItsClass()
    {
        using var pool = new DeviceMemoryPool(fixture.Context.Accelerator);
        var first = pool.Rent<float>(100); // 400 bytes: the 512-byte class
        Assert.Equal(512, pool.InUseBytes);
        first.Dispose();
        first.Dispose(); // a second Dispose does nothing
        Assert.Equal(0, pool.InUseBytes);
        Assert.Equal(512, pool.CachedBytes);
        using var second = pool.Rent<int>(120); // 480 bytes: the same class, reused
        Assert.Equal(512, pool.AllocatedBytes);
        Assert.Equal(0, pool.CachedBytes);
        using var third = pool.Rent<float>(100); // the class is empty again: a fresh buffer
        Assert.Equal(1024, pool.AllocatedBytes);
        Assert.Throws<ObjectDisposedException>(() => first.View);
    }

    [Fact]
    public void TrimAndDisposeReleaseDeviceMemoryAtOnce()
    {
        var pool = new DeviceMemoryPool(fixture.Context.Accelerator);
        var kept = pool.Rent<float>(10);
        pool.Rent<float>(1000).Dispose();
        Assert.Equal(4096, pool.CachedBytes);
        pool.Trim();
        Assert.Equal(0, pool.CachedBytes);
        Assert.Equal(256, pool.InUseBytes);
        pool.Dispose();
        kept.Dispose(); // after the pool: nothing left to free, no error
        Assert.Throws<ObjectDisposedException>(() => pool.Rent<float>(1));
    }

    [Fact]
    public void ValuesRoundTripThroughADeviceBuffer()
    {
        float[] values = [1f, -2.5f, 3.25f];
        using var buffer = fixture.Context.Upload(values);
        Assert.Equal(values, buffer.Download());
        Assert.Contains("2 values for a device buffer of 3", Assert.Throws<ArgumentException>(() => buffer.Upload([1f, 2f])).Message);
    }
}
