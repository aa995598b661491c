using ILGPU;
using NetBlocks.Cuda;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// One ILGPU CPU accelerator for all the CUDA kernel tests (compiling the kernels once), with small groups so that
/// small shapes reach every remainder of every tile: GEMM groups of 2 × 3 threads (blocks of 12 rows × 8 columns), 3
/// deep per stage; 4-thread reductions. At most 8 threads a group, one group at a time: light on two shared cores.
/// </summary>
public sealed class CudaFixture : IDisposable
{
    public static readonly CudaTiling Tiling = new(GroupX: 2, GroupY: 3, TileK: 3, ReduceGroup: 4);

    public CudaContext Context { get; } = CudaContext.CreateCpu(Tiling, warpSize: 4, warpsPerGroup: 2, multiprocessors: 1);

    /// <summary>
    /// The device the engine-level tests put tensors on: cuda:9, served by a <see cref="CudaBackend"/> over the CPU
    /// accelerator (an index no real machine here has, so nothing else can mistake it for a GPU).
    /// </summary>
    public static readonly NetBlocks.Tensors.Device Device = NetBlocks.Tensors.Device.Cuda(9);

    private CudaBackend? _backend;

    /// <summary>The backend for <see cref="Device"/>, registered with the engine on first use.</summary>
    public CudaBackend Backend => _backend ??= new CudaBackend(Context, Device).Register();

    public void Dispose()
    {
        _backend?.Dispose();
        Context.Dispose();
    }
}

/// <summary>The CUDA tests share <see cref="CudaFixture"/> and run one at a time (one accelerator).</summary>
[CollectionDefinition(Name)]
public sealed class CudaCollection : ICollectionFixture<CudaFixture>
{
    public const string Name = "CUDA kernels on the CPU accelerator";
}

/// <summary>Helpers of the CUDA tests: seeded data, uploads, and the 1e-4 comparison against the CPU kernels.</summary>
internal static class CudaAssert
{
    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>Every value within 1e-4 of the reference (relative to it when it exceeds 1 in magnitude).</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            float bound = tolerance * Math.Max(1f, Math.Abs(e));
            if (!(Math.Abs(e - a) <= bound) && !(float.IsNaN(e) && float.IsNaN(a)))
                Assert.Fail($"{what}[{i}]: expected {e}, got {a} (|Δ| = {Math.Abs(e - a)}, bound {bound})");
        }
    }

    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = tolerance * Math.Max(1, Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= bound))
                Assert.Fail($"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
