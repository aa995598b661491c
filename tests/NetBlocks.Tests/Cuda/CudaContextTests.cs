using NetBlocks.Cuda;

namespace NetBlocks.Tests.Cuda;

/// <summary>The CPU accelerator the kernel tests run on, and the tiling checks of a context.</summary>
[Collection(CudaCollection.Name)]
public class CudaContextTests(CudaFixture fixture)
{
    [Fact]
    public void TheTestsRunSmallGroupsOnTheCpuAccelerator()
    {
        Assert.False(fixture.Context.IsCuda);
        Assert.Equal(8, fixture.Context.Accelerator.MaxNumThreadsPerGroup);
        Assert.Equal((12, 8), (CudaFixture.Tiling.BlockRows, CudaFixture.Tiling.BlockColumns));
    }

    [Fact]
    public void TilingsTheDeviceCannotRunAreRejected()
    {
        Assert.Contains("exceeds the device's 8 threads", Assert.Throws<ArgumentException>(() => CudaContext.CreateCpu(new CudaTiling(4, 4, 2, 4), 4, 2)).Message);
        Assert.Contains("power of two", Assert.Throws<ArgumentException>(() => CudaContext.CreateCpu(new CudaTiling(2, 2, 2, 6), 4, 2)).Message);
        Assert.Contains("must be positive", Assert.Throws<ArgumentException>(() => CudaContext.CreateCpu(new CudaTiling(2, 2, 0, 4), 4, 2)).Message);
    }
}
