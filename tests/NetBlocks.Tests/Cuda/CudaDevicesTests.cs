using NetBlocks.Cuda;

namespace NetBlocks.Tests.Cuda;

/// <summary>[Fact] that is skipped, with the reason, on machines without a CUDA device (CI, this repository's build machines).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        var report = CudaDevices.Query();
        if (report.Devices.Count == 0) Skip = $"needs a CUDA device: {report.Reason}";
    }
}

/// <summary>The device list, and the kernels on a real GPU where there is one.</summary>
[Collection(CudaCollection.Name)]
public class CudaDevicesTests
{
    [Fact]
    public void TheDeviceListNamesItsDevicesOrSaysWhyThereAreNone()
    {
        var report = CudaDevices.Query();
        if (report.Devices.Count == 0)
        {
            Assert.False(string.IsNullOrWhiteSpace(report.Reason));
            Assert.StartsWith("no CUDA device: ", report.Describe());
        }
        else
        {
            Assert.Null(report.Reason);
            Assert.All(report.Devices, d => Assert.True(d.MemoryBytes > 0 && d.Name.Length > 0));
            Assert.Contains("cuda:0", report.Describe());
        }
    }

    [Fact]
    public void OpeningAMissingDeviceSaysWhichThereAre()
    {
        int count = CudaDevices.Query().Devices.Count;
        var error = Assert.Throws<ArgumentException>(() => CudaContext.Create(count));
        Assert.Contains($"cuda:{count}", error.Message);
    }

    [CudaFact]
    public void TheTiledGemmRunsOnTheGpuWithItsDefaultTiling()
    {
        using var gpu = CudaContext.Create(0);
        Assert.True(gpu.IsCuda);
        const int m = 130, n = 70, k = 33; // remainders of the 64 × 64 × 16 blocking
        var a = CudaAssert.Random(m * k, 80);
        var b = CudaAssert.Random(k * n, 81);
        var expected = new float[m * n];
        NetBlocks.Kernels.Gemm.Sgemm(m, n, k, a, b, expected);
        using var da = gpu.Upload(a);
        using var db = gpu.Upload(b);
        using var dc = gpu.Rent<float>(m * n);
        gpu.Gemm.Sgemm(false, false, m, n, k, 1f, da.View, k, db.View, n, 0f, dc.View, n);
        CudaAssert.Close(expected, dc.Download(), "C");
    }
}
