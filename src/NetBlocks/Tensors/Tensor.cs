using System.Text;
using NetBlocks.Autograd;
using NetBlocks.Kernels;

namespace NetBlocks.Tensors;

/// <summary>
/// A float32 tensor of any rank, contiguous and row-major (NCHW for images), optionally tracked by autograd.
/// Tensors are never disposed by hand: buffers come from <see cref="TensorPool"/> and the intermediate tensors of a
/// graph go back to it when <see cref="Backward()"/> finishes. A tensor on <see cref="Device.Meta"/> has a shape and no
/// elements (PyTorch's <c>device="meta"</c>): ops check its shapes and return meta outputs without computing, which is
/// how a model's shape pass runs (<see cref="Nn.Module.Build"/>).
/// </summary>
public sealed partial class Tensor
{
    private readonly int[] _shape;
    private Storage _storage;
    private readonly int _offset;
    private readonly long _numel;
    private bool _released;

    internal Tensor(Storage storage, int offset, int[] shape)
    {
        _storage = storage;
        _offset = offset;
        _shape = shape;
        _numel = ShapeUtil.Numel(shape);
    }

    /// <summary>
    /// A meta tensor: a shape and no storage. Its element count is checked in 64 bits only, not against what one array
    /// holds, so a shape pass can name the layer whose output would be too large (<see cref="Nn.Module.Forward"/>).
    /// </summary>
    private Tensor(int[] shape)
    {
        _storage = null!;
        _shape = shape;
        _numel = Sizes.Product(shape);
        Device = Device.Meta;
    }

    /// <summary>Where the elements live: the CPU, or nowhere for a meta tensor.</summary>
    public Device Device { get; } = Device.Cpu;

    /// <summary>True for a tensor on <see cref="Device.Meta"/>: a shape without elements.</summary>
    public bool IsMeta => Device.IsMeta;

    /// <summary>The element type.</summary>
    public DType DType => DType.Float32;

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    internal int[] ShapeArray => _shape;

    public int Rank => _shape.Length;

    /// <summary>Number of elements (1 for a scalar). A meta tensor larger than any array holds throws here.</summary>
    public int Numel => _numel <= Sizes.MaxElements ? (int)_numel : Sizes.Elements(_shape);

    /// <summary>Size of dimension <paramref name="dim"/>; negative counts from the end.</summary>
    public int Size(int dim) => _shape[ShapeUtil.NormalizeDim(dim, Rank)];

    /// <summary>The elements in row-major order. Throws if the tensor was released by Backward().</summary>
    public Span<float> Span
    {
        get
        {
            ThrowIfReleased();
            return new Span<float>(_storage.Data, _offset, Numel);
        }
    }

    internal float[] RawData { get { ThrowIfReleased(); return _storage.Data; } }
    internal int Offset => _offset;

    /// <summary>
    /// The elements as <see cref="Memory{T}"/>, for code that fills a tensor from several threads (a data loader's
    /// batch). Valid while the tensor is not released: do not keep it beyond that. Throws if the tensor was released.
    /// </summary>
    public Memory<float> Memory
    {
        get
        {
            ThrowIfReleased();
            return new Memory<float>(_storage.Data, _offset, Numel);
        }
    }

    /// <summary>A copy of the elements.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs a tensor with one element, got shape {ShapeUtil.Format(_shape)}");
        return Span[0];
    }

    /// <summary>Element at a full index.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Span[ShapeUtil.FlatIndex(_shape, index)];
        set => Span[ShapeUtil.FlatIndex(_shape, index)] = value;
    }

    public bool IsReleased => _released;

    /// <summary>
    /// Gives this tensor's buffer back (shared views keep it alive). Done by Backward() for the graph's
    /// intermediates and by modules for their no-grad intermediates; users do not need to call it.
    /// </summary>
    public void Release()
    {
        if (_released || IsMeta) return;
        _released = true;
        _storage.Release();
    }

    private void ThrowIfReleased()
    {
        if (IsMeta)
            throw new InvalidOperationException(
                $"a meta tensor has a shape and no elements: shape {ShapeUtil.Format(_shape)} on device meta cannot be read or written " +
                "(meta tensors are for shape passes; run the model on a CPU tensor to compute values)");
        if (_released)
            throw new InvalidOperationException(
                $"this tensor (shape {ShapeUtil.Format(_shape)}) was an intermediate of an autograd graph and its buffer was released " +
                "when Backward() finished. Read it before Backward(), or keep a copy with Detach() before calling Backward().");
    }

    /// <summary>A tensor sharing this one's buffer with another shape (same element count). No gradient tracking.</summary>
    internal Tensor ViewAs(int[] shape)
    {
        if (IsMeta) return new Tensor(shape);
        ThrowIfReleased();
        _storage.AddRef();
        return new Tensor(_storage, _offset, shape);
    }

    /// <summary>A view of rows [start, start+length) of dimension 0, sharing the buffer. No gradient tracking.</summary>
    internal Tensor NarrowRows(int start, int length)
    {
        ThrowIfReleased();
        if (Rank == 0 || start < 0 || length < 0 || start + length > _shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + length}) out of range for shape {ShapeUtil.Format(_shape)}");
        var shape = (int[])_shape.Clone();
        shape[0] = length;
        int rowSize = Rank == 0 ? 1 : Numel / Math.Max(1, _shape[0]);
        _storage.AddRef();
        return new Tensor(_storage, _offset + start * rowSize, shape);
    }

    // ---------------------------------------------------------------- creation

    /// <summary>An uninitialised tensor from the pool (contents unspecified).</summary>
    public static Tensor Empty(params int[] shape)
    {
        var s = ShapeUtil.Validate(shape);
        var storage = Storage.Rent(ShapeUtil.Numel(s));
        return new Tensor(storage, storage.Offset, s);
    }

    /// <summary>An uninitialised tensor on <paramref name="device"/>: from the pool on the CPU, without storage on meta.</summary>
    public static Tensor Empty(int[] shape, Device device) => device.Kind switch
    {
        DeviceKind.Cpu => Empty(shape),
        DeviceKind.Meta => Meta(shape),
        _ => throw new ArgumentException($"this build cannot make tensors on device {device}"),
    };

    /// <summary>A tensor on <see cref="Device.Meta"/>: the shape, no elements, no memory (torch.empty(shape, device="meta")).</summary>
    public static Tensor Meta(params int[] shape) => new((int[])ShapeUtil.Validate(shape).Clone());

    internal static Tensor EmptyLike(Tensor t) => Empty(t._shape);

    public static Tensor Zeros(params int[] shape)
    {
        var t = Empty(shape);
        t.Span.Clear();
        return t;
    }

    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    public static Tensor Full(int[] shape, float value)
    {
        var t = Empty(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>A one-element tensor of rank 0.</summary>
    public static Tensor Scalar(float value) => Full([], value);

    /// <summary>[start, start+step, …) up to (excluding) end, as torch.arange.</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0) throw new ArgumentException("step must not be zero", nameof(step));
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Empty(n);
        var s = t.Span;
        for (int i = 0; i < n; i++) s[i] = start + i * step;
        return t;
    }

    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        var s = ShapeUtil.Validate(shape.Length == 0 && data.Length != 1 ? [data.Length] : shape);
        if (ShapeUtil.Numel(s) != data.Length)
            throw new ArgumentException($"{data.Length} values cannot have shape {ShapeUtil.Format(s)} ({ShapeUtil.Numel(s)} elements)");
        var t = Empty(s);
        data.CopyTo(t.Span);
        return t;
    }

    /// <summary>Wraps an array without copying (not pooled): used for parameters that live as long as their module.</summary>
    internal static Tensor Wrap(float[] data, int[] shape) => new(Storage.Wrap(data), 0, ShapeUtil.Validate(shape));

    /// <summary>A persistent (not pooled) zero tensor, for parameters, gradients and optimizer state.</summary>
    public static Tensor ZerosPersistent(params int[] shape)
    {
        var s = ShapeUtil.Validate(shape);
        return Wrap(new float[ShapeUtil.Numel(s)], s);
    }

    /// <summary>Samples from U[low, high) drawn from <paramref name="generator"/> (default: the seeded default generator).</summary>
    public static Tensor Uniform(int[] shape, float low = 0f, float high = 1f, RandomGenerator? generator = null)
    {
        var g = generator ?? RandomGenerator.Default;
        var t = Empty(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * g.NextFloat();
        return t;
    }

    /// <summary>Samples from N(mean, std²).</summary>
    public static Tensor Normal(int[] shape, float mean = 0f, float std = 1f, RandomGenerator? generator = null)
    {
        var g = generator ?? RandomGenerator.Default;
        var t = Empty(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = mean + std * (float)g.NextNormal();
        return t;
    }

    /// <summary>An independent copy (no gradient tracking); a meta tensor's clone is a meta tensor of its shape.</summary>
    public Tensor Clone()
    {
        if (IsMeta) return new Tensor(_shape);
        var t = Empty(_shape);
        Span.CopyTo(t.Span);
        return t;
    }

    /// <summary>Copies the values of <paramref name="source"/> (same element count) into this tensor, in place.</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Numel != Numel)
            throw new ArgumentException($"cannot copy a tensor of shape {ShapeUtil.Format(source._shape)} into shape {ShapeUtil.Format(_shape)}");
        source.Span.CopyTo(Span);
    }

    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        if (_released) return $"tensor(<released>, shape={ShapeUtil.Format(_shape)})";
        if (IsMeta) return $"tensor(..., device='meta', shape={ShapeUtil.Format(_shape)})";
        var s = Span;
        int shown = Math.Min(s.Length, 8);
        sb.Append('[');
        for (int i = 0; i < shown; i++) sb.Append(i > 0 ? ", " : "").Append(s[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        if (s.Length > shown) sb.Append(", …");
        sb.Append("], shape=").Append(ShapeUtil.Format(_shape));
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFn.Name).Append('>');
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }
}
