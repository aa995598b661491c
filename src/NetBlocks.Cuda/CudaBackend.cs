using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using NetBlocks.Backends;
using NetBlocks.Kernels;
using NetBlocks.Tensors;
using Device = NetBlocks.Tensors.Device;
using static NetBlocks.Kernels.Broadcasting;

namespace NetBlocks.Cuda;

/// <summary>
/// The engine's backend on a CUDA device: a thin adapter from the seam's tensor operations (<see cref="IBackend"/>) to
/// the ILGPU kernels of one <see cref="CudaContext"/>. Tensors on its <see cref="Device"/> hold <see cref="CudaMemory"/>
/// (rented from the context's pool, returned when the tensor's storage is released); each op turns them into views and
/// queues a kernel on the default stream, so a training step stays on the device until something is downloaded.
/// Every operation of the seam runs on the device; <see cref="SumOfSquares"/> (gradient clipping) returns its double
/// to the host, one wait per call.
/// <para>
/// <see cref="Open"/> opens cuda:N and registers the backend with the engine (<see cref="Backend.Register"/>);
/// <see cref="Dispose"/> unregisters it and frees the device's memory. One thread drives a backend, as its context.
/// </para>
/// </summary>
public sealed partial class CudaBackend : IDeviceBackend, IDisposable
{
    private readonly bool _ownsContext;

    /// <summary>A backend computing on <paramref name="context"/> for tensors on <paramref name="device"/> (not registered).</summary>
    public CudaBackend(CudaContext context, Device device, bool ownsContext = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(device);
        if (device.Kind != DeviceKind.Cuda) throw new ArgumentException($"a CUDA backend computes on a cuda device, not on {device}");
        Context = context;
        Device = device;
        _ownsContext = ownsContext;
    }

    /// <summary>Opens CUDA device <paramref name="index"/>, registers its backend for cuda:<paramref name="index"/> and returns it.</summary>
    public static CudaBackend Open(int index = 0)
    {
        var backend = new CudaBackend(CudaContext.Create(index), Tensors.Device.Cuda(index), ownsContext: true);
        backend.Register();
        return backend;
    }

    /// <summary>Registers this backend for its device with the engine (replacing an earlier one).</summary>
    public CudaBackend Register()
    {
        Backend.Register(this);
        return this;
    }

    public CudaContext Context { get; }

    public Device Device { get; }

    public DeviceMemory Allocate(int length, DType dtype) => new CudaMemory(Context, Device, length, dtype);

    /// <summary>Waits for every kernel queued on the context's default stream.</summary>
    public void Synchronize() => Context.Synchronize();

    /// <summary>Unregisters the backend; frees the device's memory and the accelerator when it opened them.</summary>
    public void Dispose()
    {
        Backend.Unregister(Device, this);
        if (_ownsContext) Context.Dispose();
    }

    // ---------------------------------------------------------------- tensors as views

    /// <summary>The float32 elements of <paramref name="t"/> on this device; another device or dtype is refused naming the op.</summary>
    private ArrayView<float> F32(Tensor t, [CallerMemberName] string op = "") => Memory(t, DType.Float32, op).Floats(t.Offset, t.Numel);

    /// <summary>The elements of an optional tensor, or a zero-length view (the kernels treat it as absent).</summary>
    private ArrayView<float> F32OrEmpty(Tensor? t, ArrayView<float> anchor, [CallerMemberName] string op = "") =>
        t is null ? anchor.SubView(0, 0) : F32(t, op);

    private ArrayView<int> I32(Tensor t, [CallerMemberName] string op = "") => Memory(t, DType.Int32, op).Ints(t.Offset, t.Numel);

    private CudaMemory Memory(Tensor t, DType dtype, string op)
    {
        if (t.Device != Device)
            throw new ArgumentException($"{op}: the {Device} backend was given a tensor on {t.Device} (shape {ShapeUtil.Format(t.Shape)})");
        if (t.DType != dtype)
            throw new ArgumentException($"{op}: expected {Name(dtype)} values, got {(t.DType == DType.Int32 ? "an" : "a")} {Name(t.DType)} tensor of shape {ShapeUtil.Format(t.Shape)}");
        return (CudaMemory)t.DeviceMemory;
    }

    private static string Name(DType d) => d.ToString().ToLowerInvariant();

    // ---------------------------------------------------------------- convolution and GEMM

    public void Conv2d(Tensor x, Tensor weight, Tensor? bias, Tensor y, ConvGeometry g)
    {
        var w = F32(weight);
        Context.Convolution.Forward(F32(x), w, F32OrEmpty(bias, w), F32(y), g);
    }

    /// <summary>The device's convolution gathers from the weights as they are: nothing to prepare.</summary>
    public PackedWeights? PrepareConv2d(Tensor weight, ConvGeometry g)
    {
        F32(weight);
        return null;
    }

    /// <summary>The normal convolution, then the ReLU in place (no fused epilogue on the device).</summary>
    public void Conv2dForInference(Tensor x, Tensor weight, Tensor? bias, Tensor y, ConvGeometry g, PackedWeights? prepared, bool relu)
    {
        Conv2d(x, weight, bias, y, g);
        if (relu) Relu(y, y);
    }

    public void Conv2dBackwardData(Tensor dy, Tensor weight, Tensor dx, ConvGeometry g) =>
        Context.Convolution.BackwardData(F32(dy), F32(weight), F32(dx), g);

    public void Conv2dBackwardWeight(Tensor dy, Tensor x, Tensor dweight, Tensor? dbias, ConvGeometry g)
    {
        var dw = F32(dweight);
        Context.Convolution.BackwardWeight(F32(dy), F32(x), dw, F32OrEmpty(dbias, dw), g);
    }

    public void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c)
    {
        int m = transposeA ? a.Size(1) : a.Size(0), k = transposeA ? a.Size(0) : a.Size(1), n = transposeB ? b.Size(0) : b.Size(1);
        Context.Gemm.Sgemm(transposeA, transposeB, m, n, k, 1f, F32(a), Math.Max(1, a.Size(1)), F32(b), Math.Max(1, b.Size(1)), 0f, F32(c), Math.Max(1, n));
    }

    /// <summary>y += 1 · row on every row, as a GEMM of depth 1: (rows × 1 ones) · (1 × n row) + 1 · y.</summary>
    public void AddRowsInPlace(Tensor y, Tensor row)
    {
        var ys = F32(y); var rs = F32(row);
        int cols = (int)rs.Length;
        if (cols == 0) return;
        int rows = (int)(ys.Length / cols);
        using var ones = Context.Rent<float>(Math.Max(1, rows));
        Context.Elementwise.Fill(ones.View, 1f);
        Context.Gemm.Sgemm(false, false, rows, cols, 1, 1f, ones.View, 1, rs, cols, 1f, ys, cols);
    }

    public void Transpose(Tensor x, Tensor y) => Context.Transpose.Transpose(F32(x), F32(y), x.Size(0), x.Size(1));

    // ---------------------------------------------------------------- elementwise

    public void Relu(Tensor x, Tensor y) => Context.Elementwise.Relu(F32(x), F32(y));

    public void AddRelu(Tensor a, Tensor b, Tensor y) => Context.Elementwise.AddRelu(F32(a), F32(b), F32(y));

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx) => Context.Elementwise.ReluBackward(F32(y), F32(dy), F32(dx));

    public void Sigmoid(Tensor x, Tensor y) => Context.Elementwise.Sigmoid(F32(x), F32(y));

    public void SigmoidBackward(Tensor y, Tensor dy, Tensor dx) => Context.Elementwise.SigmoidBackward(F32(y), F32(dy), F32(dx));

    public void Affine(Tensor x, float a, float b, Tensor y) => Context.Elementwise.Affine(F32(x), a, b, F32(y));

    public void Multiply(Tensor x, Tensor y, Tensor z) => Context.Elementwise.Multiply(F32(x), F32(y), F32(z));

    /// <summary>
    /// Sums and products of tensors of one shape take the flat kernels (as the CPU's fast path); every other case —
    /// broadcasting, differences, quotients — the broadcasting kernel, with the CPU's arithmetic.
    /// </summary>
    public void Binary(BinaryOp op, Tensor x, Tensor y, Tensor z)
    {
        if (x.Shape.SequenceEqual(y.Shape) && op is BinaryOp.Add or BinaryOp.Multiply)
        {
            if (op == BinaryOp.Add) Context.Elementwise.Add(F32(x), F32(y), F32(z));
            else Context.Elementwise.Multiply(F32(x), F32(y), F32(z));
            return;
        }
        Context.Broadcasting.Binary(op, F32(x), x.ShapeArray, F32(y), y.ShapeArray, F32(z), z.ShapeArray);
    }

    /// <summary>The broadcast gradient's reduction: a copy when nothing was broadcast, else <see cref="CudaBroadcasting.ReduceTo"/>.</summary>
    public void ReduceTo(Tensor g, Tensor result)
    {
        if (g.Shape.SequenceEqual(result.Shape)) Context.Elementwise.Copy(F32(g), F32(result));
        else Context.Broadcasting.ReduceTo(F32(g), g.ShapeArray, F32(result), result.ShapeArray);
    }

    public void AddInPlace(Tensor target, Tensor source) => Context.Elementwise.Accumulate(F32(target), F32(source));

    // ---------------------------------------------------------------- reductions

    /// <summary>
    /// Σ (or the mean) over <paramref name="dim"/> as a batched GEMM with a row of ones: for each outer index,
    /// y (1 × inner) = ones (1 × count) · x (count × inner). The device sums in float32 in index order (the CPU in
    /// double): equal within rounding, not bit for bit.
    /// </summary>
    public void Sum(Tensor x, int dim, bool mean, Tensor y)
    {
        var (outer, count, inner) = Split(x, dim);
        var ys = F32(y);
        if (count == 0) { Context.Elementwise.Fill(ys, mean && dim >= 0 && x.Rank > 0 ? float.NaN : 0f); return; } // as the CPU's empty sums
        using var ones = Context.Rent<float>(count);
        Context.Elementwise.Fill(ones.View, 1f);
        Context.Gemm.SgemmBatched(false, false, 1, inner, count, mean ? 1f / count : 1f, ones.View, count, 0,
            F32(x), inner, (long)count * inner, 0f, ys, inner, inner, outer);
    }

    /// <summary>dx = dy repeated over <paramref name="dim"/> (÷ the count for the mean): per outer index, ones (count × 1) · dy (1 × inner).</summary>
    public void SumBackward(Tensor dy, int dim, bool mean, Tensor dx)
    {
        var (outer, count, inner) = Split(dx, dim);
        if (count == 0 || inner == 0 || outer == 0) return;
        using var ones = Context.Rent<float>(count);
        Context.Elementwise.Fill(ones.View, 1f);
        Context.Gemm.SgemmBatched(false, false, count, inner, 1, mean ? 1f / count : 1f, ones.View, 1, 0,
            F32(dy), inner, inner, 0f, F32(dx), inner, (long)count * inner, outer);
    }

    /// <summary>x's shape as (outer, count, inner) around <paramref name="dim"/>; a negative dim: everything is the count.</summary>
    private static (int Outer, int Count, int Inner) Split(Tensor x, int dim)
    {
        if (dim < 0 || x.Rank == 0) return (1, x.Numel, 1);
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= x.Size(i);
        for (int i = dim + 1; i < x.Rank; i++) inner *= x.Size(i);
        return (outer, x.Size(dim), inner);
    }

    /// <summary>The first maximum along <paramref name="dim"/>: its index and, when asked, its value (the CPU's tie and NaN rules).</summary>
    public void MaxAlong(Tensor x, int dim, Tensor? values, Tensor indices)
    {
        var (outer, size, inner) = Split(x, dim);
        var xs = F32(x);
        Context.Reductions.MaxAlong(xs, F32OrEmpty(values, xs), I32(indices), outer, size, inner);
    }

    public void MaxAlongBackward(Tensor dy, Tensor indices, int dim, Tensor dx)
    {
        var (outer, size, inner) = Split(dx, dim);
        Context.Reductions.MaxAlongBackward(F32(dy), I32(indices), F32(dx), outer, size, inner);
    }

    /// <summary><paramref name="total"/> + Σ x², the squares summed on the device in a fixed order; one host wait for the double.</summary>
    public double SumOfSquares(Tensor x, double total) => Context.Reductions.SumOfSquares(F32(x), total);

    // ---------------------------------------------------------------- fill and copy

    public void Fill(Tensor t, float value) => Context.Elementwise.Fill(F32(t), value);

    public void Copy(Tensor source, Tensor destination)
    {
        if (source.Numel != destination.Numel)
            throw new ArgumentException($"Copy: cannot copy a tensor of shape {ShapeUtil.Format(source.Shape)} into shape {ShapeUtil.Format(destination.Shape)}");
        if (source.DType == DType.Int32) I32(source).CopyTo(I32(destination));
        else Context.Elementwise.Copy(F32(source), F32(destination));
    }
}
