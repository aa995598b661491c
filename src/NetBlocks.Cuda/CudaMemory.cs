using ILGPU;
using ILGPU.Runtime;
using NetBlocks.Tensors;
using Device = NetBlocks.Tensors.Device;

namespace NetBlocks.Cuda;

/// <summary>
/// A tensor storage's buffer on a CUDA device (the engine's <see cref="DeviceMemory"/>): a float32 or int32
/// <see cref="DeviceBuffer{T}"/> rented from the context's <see cref="DeviceMemoryPool"/>. Copies go through ILGPU's
/// default stream (a download waits for the kernels queued before it); <see cref="Release"/> returns the buffer to the
/// pool at once.
/// </summary>
internal sealed class CudaMemory : DeviceMemory
{
    private readonly DeviceBuffer<float>? _floats;
    private readonly DeviceBuffer<int>? _ints;

    public CudaMemory(CudaContext context, Device device, int length, DType dtype)
    {
        Device = device;
        Length = length;
        if (dtype == DType.Int32) _ints = context.Rent<int>(length);
        else _floats = context.Rent<float>(length);
    }

    public override Device Device { get; }
    public override DType DType => _ints is null ? DType.Float32 : DType.Int32;
    public override int Length { get; }

    /// <summary>Elements [offset, offset + length) of a float32 buffer, as the kernels take them.</summary>
    public ArrayView<float> Floats(int offset, int length) =>
        (_floats ?? throw new InvalidOperationException($"an int32 buffer on {Device} has no float32 elements")).View.SubView(offset, length);

    /// <summary>Elements [offset, offset + length) of an int32 buffer.</summary>
    public ArrayView<int> Ints(int offset, int length) =>
        (_ints ?? throw new InvalidOperationException($"a float32 buffer on {Device} has no int32 elements")).View.SubView(offset, length);

    public override void Upload(ReadOnlySpan<float> source, int offset) => Floats(offset, source.Length).CopyFromCPU(source);

    public override void Upload(ReadOnlySpan<int> source, int offset) => Ints(offset, source.Length).CopyFromCPU(source);

    public override void Download(int offset, Span<float> destination) => Floats(offset, destination.Length).CopyToCPU(destination);

    public override void Download(int offset, Span<int> destination) => Ints(offset, destination.Length).CopyToCPU(destination);

    public override void Release()
    {
        _floats?.Dispose();
        _ints?.Dispose();
    }
}
