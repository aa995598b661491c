using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace NetBlocks.Cuda;

/// <summary>
/// One accelerator with what runs on it: the ILGPU context and accelerator, the launch shapes
/// (<see cref="CudaTiling"/>), the caching allocator (<see cref="Memory"/>) and the kernel families, each compiled on
/// first use. <see cref="Create"/> opens an NVIDIA GPU; <see cref="CreateCpu"/> opens ILGPU's CPU accelerator, which runs
/// the same kernels (shared memory, barriers and all) on host threads — how the kernels are verified without a GPU.
/// Kernels are queued on the accelerator's default stream in call order; <see cref="Synchronize"/> (or a download) waits.
/// Disposing frees every device buffer (the pool) and the accelerator. One thread drives a context (the kernel families
/// are created lazily without locks), except for <see cref="Memory"/> and <see cref="Resample"/>, which the data loader's
/// prefetch threads use too (ILGPU 1.5.3 binds the CUDA context on each launch and copy, and serialises the CPU
/// accelerator's launches, so kernels may be queued from two threads; they run in the stream's order).
/// </summary>
public sealed class CudaContext : IDisposable
{
    private readonly Context _context;
    private CudaGemm? _gemm;
    private CudaConvolution? _convolution;
    private CudaPooling? _pooling;
    private CudaBatchNorm? _batchNorm;
    private CudaElementwise? _elementwise;
    private CudaBroadcasting? _broadcasting;
    private CudaReductions? _reductions;
    private CudaTranspose? _transpose;
    private CudaSoftmax? _softmax;
    private CudaDropout? _dropout;
    private CudaSgd? _sgd;
    private CudaResample? _resample;
    private readonly object _resampleGate = new();

    private CudaContext(Context context, Accelerator accelerator, CudaTiling tiling)
    {
        _context = context;
        Accelerator = accelerator;
        try { tiling.Validate(accelerator.MaxNumThreadsPerGroup); }
        catch
        {
            accelerator.Dispose();
            context.Dispose();
            throw;
        }
        Tiling = tiling;
        Memory = new DeviceMemoryPool(accelerator);
    }

    /// <summary>Opens CUDA device <paramref name="index"/> (see <see cref="CudaDevices.Query"/> for what there is).</summary>
    public static CudaContext Create(int index = 0, CudaTiling? tiling = null)
    {
        var context = Context.Create(builder => builder.Cuda());
        var devices = context.GetCudaDevices();
        if (index < 0 || index >= devices.Count)
        {
            context.Dispose();
            throw new ArgumentException(devices.Count == 0
                ? $"cuda:{index}: ILGPU finds no CUDA device ({CudaDevices.Query().Reason})"
                : $"cuda:{index}: there are {devices.Count} CUDA device(s), cuda:0 to cuda:{devices.Count - 1}");
        }
        Accelerator accelerator;
        try { accelerator = devices[index].CreateAccelerator(context); }
        catch
        {
            context.Dispose();
            throw;
        }
        return new CudaContext(context, accelerator, tiling ?? CudaTiling.Gpu);
    }

    /// <summary>
    /// ILGPU's CPU accelerator with groups of up to <paramref name="warpSize"/> · <paramref name="warpsPerGroup"/> threads
    /// and <paramref name="multiprocessors"/> groups at a time (each thread of a group is a host thread, so keep them few).
    /// </summary>
    public static CudaContext CreateCpu(CudaTiling tiling, int warpSize = 4, int warpsPerGroup = 4, int multiprocessors = 1)
    {
        var device = new CPUDevice(warpSize, warpsPerGroup, multiprocessors);
        var context = Context.Create(builder => builder.CPU(device));
        Accelerator accelerator;
        try { accelerator = context.GetCPUDevice(0).CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel); }
        catch
        {
            context.Dispose();
            throw;
        }
        return new CudaContext(context, accelerator, tiling);
    }

    /// <summary>The ILGPU accelerator (a CUDA GPU, or the CPU accelerator in tests).</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Whether this is a real CUDA device.</summary>
    public bool IsCuda => Accelerator.AcceleratorType == AcceleratorType.Cuda;

    public CudaTiling Tiling { get; }

    /// <summary>The caching allocator every device buffer comes from.</summary>
    public DeviceMemoryPool Memory { get; }

    public CudaGemm Gemm => _gemm ??= new CudaGemm(this);
    public CudaConvolution Convolution => _convolution ??= new CudaConvolution(this);
    public CudaPooling Pooling => _pooling ??= new CudaPooling(this);
    public CudaBatchNorm BatchNorm => _batchNorm ??= new CudaBatchNorm(this);
    public CudaElementwise Elementwise => _elementwise ??= new CudaElementwise(this);
    public CudaBroadcasting Broadcasting => _broadcasting ??= new CudaBroadcasting(this);
    public CudaReductions Reductions => _reductions ??= new CudaReductions(this);
    public CudaTranspose Transpose => _transpose ??= new CudaTranspose(this);
    public CudaSoftmax Softmax => _softmax ??= new CudaSoftmax(this);
    public CudaDropout Dropout => _dropout ??= new CudaDropout(this);
    public CudaSgd Sgd => _sgd ??= new CudaSgd(this);

    /// <summary>The data loader's resize (created once, under a lock: prefetch threads reach it).</summary>
    public CudaResample Resample
    {
        get
        {
            if (Volatile.Read(ref _resample) is { } created) return created;
            lock (_resampleGate) return _resample ??= new CudaResample(this);
        }
    }

    /// <summary>A device buffer of <paramref name="length"/> elements from the pool (contents undefined).</summary>
    public DeviceBuffer<T> Rent<T>(long length) where T : unmanaged => Memory.Rent<T>(length);

    /// <summary>A device buffer holding <paramref name="values"/>.</summary>
    public DeviceBuffer<T> Upload<T>(T[] values) where T : unmanaged
    {
        var buffer = Memory.Rent<T>(values.Length);
        try { buffer.Upload(values); }
        catch
        {
            buffer.Dispose();
            throw;
        }
        return buffer;
    }

    /// <summary>Waits for every kernel queued so far.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    public void Dispose()
    {
        Memory.Dispose();
        Accelerator.Dispose();
        _context.Dispose();
    }
}
