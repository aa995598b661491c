using System.Runtime.CompilerServices;
using NetBlocks.Kernels;
using NetBlocks.Tensors;
using static NetBlocks.Kernels.Broadcasting;

namespace NetBlocks.Backends;

/// <summary>
/// The CPU backend: runs the kernels of <see cref="Kernels"/> (GEMM, direct and im2col convolutions, pooling, batch
/// norm, elementwise) on the tensors' managed buffers, on the kernel threads. The only place above the tensor that
/// turns a tensor into a span; the math is the kernels' and, for the small ops without a kernel, the loops here, each
/// in the order the engine has always summed in (results are bit-identical to the kernels called directly).
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();

    private CpuBackend() { }

    public Device Device => Device.Cpu;

    /// <summary>The float32 elements of <paramref name="t"/>; an int32 tensor is refused naming the op.</summary>
    private static Span<float> F32(Tensor t, [CallerMemberName] string op = "")
    {
        if (t.DType != DType.Float32) throw WrongDType(op, t, DType.Float32);
        return t.Span;
    }

    /// <summary>The elements of an optional float32 tensor; empty when it is null.</summary>
    private static Span<float> F32OrEmpty(Tensor? t, [CallerMemberName] string op = "") => t is null ? default : F32(t, op);

    /// <summary>The int32 elements of <paramref name="t"/>; a float32 tensor is refused naming the op.</summary>
    private static Span<int> I32(Tensor t, [CallerMemberName] string op = "")
    {
        if (t.DType != DType.Int32) throw WrongDType(op, t, DType.Int32);
        return t.Int32Span;
    }

    /// <summary>The whole buffer behind a float32 tensor (the convolution kernels take arrays and offsets).</summary>
    private static float[] Raw(Tensor t, [CallerMemberName] string op = "")
    {
        if (t.DType != DType.Float32) throw WrongDType(op, t, DType.Float32);
        return t.RawData;
    }

    private static ArgumentException WrongDType(string op, Tensor t, DType expected) =>
        new($"{op}: expected {Name(expected)} values, got {(t.DType == DType.Int32 ? "an" : "a")} {Name(t.DType)} tensor of shape {ShapeUtil.Format(t.Shape)}");

    private static string Name(DType d) => d.ToString().ToLowerInvariant();

    // ---------------------------------------------------------------- convolution and GEMM

    public void Conv2d(Tensor x, Tensor weight, Tensor? bias, Tensor y, ConvGeometry g) =>
        Convolution.Forward(Raw(x), x.Offset, Raw(weight), weight.Offset, bias is null ? null : Raw(bias), bias?.Offset ?? 0, Raw(y), y.Offset, g);

    public PackedWeights? PrepareConv2d(Tensor weight, ConvGeometry g) =>
        PackedWeights.Prepare(Raw(weight), weight.Offset, g, ExecutionContext.Current.Threads);

    /// <summary>The ReLU in the kernel's store and the prepared weights in place of packing: bit for bit Conv2d then Relu.</summary>
    public void Conv2dForInference(Tensor x, Tensor weight, Tensor? bias, Tensor y, ConvGeometry g, PackedWeights? prepared, bool relu) =>
        Convolution.Forward(Raw(x), x.Offset, Raw(weight), weight.Offset, bias is null ? null : Raw(bias), bias?.Offset ?? 0, Raw(y), y.Offset, g,
            ExecutionContext.Current.Threads, prepared, relu);

    public void Conv2dBackwardData(Tensor dy, Tensor weight, Tensor dx, ConvGeometry g) =>
        Convolution.BackwardData(Raw(dy), dy.Offset, Raw(weight), weight.Offset, Raw(dx), dx.Offset, g);

    public void Conv2dBackwardWeight(Tensor dy, Tensor x, Tensor dweight, Tensor? dbias, ConvGeometry g) =>
        Convolution.BackwardWeight(Raw(dy), dy.Offset, Raw(x), x.Offset, Raw(dweight), dweight.Offset,
            dbias is null ? null : Raw(dbias), dbias?.Offset ?? 0, g);

    public void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c)
    {
        int m = transposeA ? a.Size(1) : a.Size(0), k = transposeA ? a.Size(0) : a.Size(1), n = transposeB ? b.Size(0) : b.Size(1);
        Gemm.Sgemm(transposeA, transposeB, m, n, k, 1f, F32(a), a.Size(1), F32(b), b.Size(1), 0f, F32(c), n);
    }

    public void AddRowsInPlace(Tensor y, Tensor row)
    {
        var ys = F32(y); var rs = F32(row);
        int cols = rs.Length;
        if (cols == 0) return;
        for (int i = 0; i < ys.Length / cols; i++) Elementwise.AddInPlace(ys.Slice(i * cols, cols), rs);
    }

    public void Transpose(Tensor x, Tensor y)
    {
        int r = x.Size(0), c = x.Size(1);
        var xs = F32(x); var ys = F32(y);
        for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) ys[j * r + i] = xs[i * c + j];
    }

    // ---------------------------------------------------------------- elementwise

    public void Relu(Tensor x, Tensor y) => Elementwise.Relu(F32(x), F32(y));

    public void AddRelu(Tensor a, Tensor b, Tensor y) => Elementwise.AddRelu(F32(a), F32(b), F32(y));

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx) => Elementwise.ReluBackward(F32(y), F32(dy), F32(dx));

    public void Sigmoid(Tensor x, Tensor y) => Elementwise.Sigmoid(F32(x), F32(y));

    public void SigmoidBackward(Tensor y, Tensor dy, Tensor dx) => Elementwise.SigmoidBackward(F32(y), F32(dy), F32(dx));

    public void Affine(Tensor x, float a, float b, Tensor y) => Elementwise.Affine(F32(x), a, b, F32(y));

    public void Multiply(Tensor x, Tensor y, Tensor z) => Elementwise.Multiply(F32(x), F32(y), F32(z));

    public void Binary(BinaryOp op, Tensor x, Tensor y, Tensor z) =>
        Broadcasting.Binary(op, F32(x), x.ShapeArray, F32(y), y.ShapeArray, F32(z), z.ShapeArray);

    public void ReduceTo(Tensor g, Tensor result) => Broadcasting.ReduceTo(F32(g), g.ShapeArray, F32(result), result.ShapeArray);

    public void AddInPlace(Tensor target, Tensor source) => Elementwise.AddInPlace(F32(target), F32(source));

    // ---------------------------------------------------------------- fill and copy

    public void Fill(Tensor t, float value) => F32(t).Fill(value);

    public void Copy(Tensor source, Tensor destination)
    {
        if (source.Numel != destination.Numel)
            throw new ArgumentException($"Copy: cannot copy a tensor of shape {ShapeUtil.Format(source.Shape)} into shape {ShapeUtil.Format(destination.Shape)}");
        F32(source).CopyTo(F32(destination));
    }
}
