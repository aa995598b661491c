using System.Buffers;
using System.Text;
using NetBlocks.Autograd;
using NetBlocks.Kernels;
using NetBlocks.Backends;

namespace NetBlocks.Tensors;

/// <summary>
/// A tensor of any rank, contiguous and row-major (NCHW for images), optionally tracked by autograd: float32 for the
/// math, int32 for labels and indices. Tensors are never disposed by hand: buffers come from <see cref="TensorPool"/>
/// and the intermediate tensors of a graph go back to it when <see cref="Backward()"/> finishes.
/// Its elements are reached only through named methods (<see cref="ToArray"/>, <see cref="ToInt32Array"/>,
/// <see cref="Item"/>, <see cref="CopyFrom(ReadOnlySpan{float})"/>, <see cref="WriteRow{TState}"/>) and, for the math,
/// through its <see cref="Backend"/>; the spans are internal to the engine's tensor and backend layers.
/// A tensor on <see cref="Device.Meta"/> has a shape and no elements (PyTorch's <c>device="meta"</c>): ops check its
/// shapes and return meta outputs without computing, which is how a model's shape pass runs (<see cref="Nn.Module.Build"/>).
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
    }

    /// <summary>Where the elements live: the CPU, a registered device (cuda:N), or nowhere for a meta tensor.</summary>
    public Device Device => _storage is null ? Device.Meta : _storage.Device;

    /// <summary>The device buffer of a tensor off the CPU (for that device's backend); throws on the CPU.</summary>
    internal DeviceMemory DeviceMemory
    {
        get
        {
            ThrowIfReleased();
            return _storage.Memory ?? throw new InvalidOperationException($"this tensor (shape {ShapeUtil.Format(_shape)}) lives on the cpu, not on a device");
        }
    }

    /// <summary>True for a tensor on <see cref="Device.Meta"/>: a shape without elements.</summary>
    public bool IsMeta => Device.IsMeta;

    /// <summary>The element type: float32, or int32 for labels and indices (a meta tensor is float32).</summary>
    public DType DType => IsMeta ? DType.Float32 : _storage.DType;

    /// <summary>The backend that computes on this tensor's device.</summary>
    public IBackend Backend => NetBlocks.Backends.Backend.For(Device);

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    internal int[] ShapeArray => _shape;

    public int Rank => _shape.Length;

    /// <summary>Number of elements (1 for a scalar). A meta tensor larger than any array holds throws here.</summary>
    public int Numel => _numel <= Sizes.MaxElements ? (int)_numel : Sizes.Elements(_shape);

    /// <summary>Size of dimension <paramref name="dim"/>; negative counts from the end.</summary>
    public int Size(int dim) => _shape[ShapeUtil.NormalizeDim(dim, Rank)];

    /// <summary>
    /// The float32 elements in row-major order, for the tensor and backend layers only (engine code above them goes
    /// through <see cref="Backend"/>; other assemblies cannot see this). Throws if the tensor was released by
    /// Backward() or holds int32 values.
    /// </summary>
    internal Span<float> Span
    {
        get
        {
            ThrowIfReleased();
            ThrowUnlessDType(DType.Float32, "a float32 span");
            ThrowUnlessCpu("a span");
            return new Span<float>(_storage.Data, _offset, Numel);
        }
    }

    /// <summary>The int32 elements of an int32 tensor (tensor and backend layers only).</summary>
    internal Span<int> Int32Span
    {
        get
        {
            ThrowIfReleased();
            ThrowUnlessDType(DType.Int32, "an int32 span");
            ThrowUnlessCpu("a span");
            return new Span<int>(_storage.Int32Data, _offset, Numel);
        }
    }

    /// <summary>The whole float array behind the tensor (from <see cref="Offset"/>), for kernels that take arrays.</summary>
    internal float[] RawData { get { ThrowIfReleased(); ThrowUnlessDType(DType.Float32, "a float32 buffer"); ThrowUnlessCpu("an array"); return _storage.Data; } }
    internal int Offset => _offset;

    /// <summary>
    /// The elements as <see cref="Memory{T}"/>, for engine code that fills a tensor from several threads. Valid while
    /// the tensor is not released: do not keep it beyond that. Throws if the tensor was released. Outside the engine,
    /// <see cref="WriteRow{TState}"/> does this.
    /// </summary>
    internal Memory<float> Memory
    {
        get
        {
            ThrowIfReleased();
            ThrowUnlessDType(DType.Float32, "float32 memory");
            ThrowUnlessCpu("managed memory");
            return new Memory<float>(_storage.Data, _offset, Numel);
        }
    }

    /// <summary>A copy of the elements of a float32 tensor (an int32 tensor: <see cref="ToInt32Array"/>); a device tensor downloads.</summary>
    public float[] ToArray()
    {
        if (!OnDevice) return Span.ToArray();
        ThrowUnlessDType(DType.Float32, "float32 values");
        var values = new float[Numel];
        DeviceMemory.Download(_offset, values);
        return values;
    }

    /// <summary>A copy of the elements of an int32 tensor (labels, <see cref="ArgMax"/>'s indices); a device tensor downloads.</summary>
    public int[] ToInt32Array()
    {
        if (!OnDevice) return Int32Span.ToArray();
        ThrowUnlessDType(DType.Int32, "int32 values");
        var values = new int[Numel];
        DeviceMemory.Download(_offset, values);
        return values;
    }

    /// <summary>The value of a one-element float32 tensor (downloaded from a device: the host waits for it there).</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs a tensor with one element, got shape {ShapeUtil.Format(_shape)}");
        return OnDevice ? ToArray()[0] : Span[0];
    }

    /// <summary>True when the elements live on a device other than the CPU (and the tensor is not meta).</summary>
    private bool OnDevice => _storage is { Memory: not null };

    /// <summary>
    /// Lets <paramref name="write"/> fill row <paramref name="row"/> (index along dimension 0) of a float32 tensor in
    /// place, given that row's elements and <paramref name="state"/>. Rows do not overlap, so several threads may write
    /// different rows of one tensor at once: a data loader fills a batch this way, without a copy.
    /// </summary>
    public void WriteRow<TState>(int row, TState state, SpanAction<float, TState> write)
    {
        if (Rank == 0 || (uint)row >= (uint)_shape[0])
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} out of range for shape {ShapeUtil.Format(_shape)}");
        int rowSize = Numel / _shape[0];
        write(Span.Slice(row * rowSize, rowSize), state);
    }

    /// <summary>
    /// This tensor on <paramref name="device"/>, as torch's Tensor.to: the same tensor when it is already there, else a
    /// copy there (no gradient tracking): an upload from the CPU, a download to it, or both between two devices. A meta
    /// tensor has no values to move, and no tensor moves to meta.
    /// </summary>
    public Tensor To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device == Device) return this;
        if (IsMeta || device.IsMeta)
            throw new NotSupportedException($"cannot move a tensor from {Device} to {device}: a meta tensor has a shape and no elements");
        ThrowIfReleased();
        if (device.IsCpu)
        {
            var host = DType == DType.Int32 ? EmptyInt32(_shape) : Empty(_shape);
            if (DType == DType.Int32) DeviceMemory.Download(_offset, host.Int32Span);
            else DeviceMemory.Download(_offset, host.Span);
            return host;
        }
        if (OnDevice)
        {
            var viaHost = To(Device.Cpu);
            var moved = viaHost.To(device);
            viaHost.Release();
            return moved;
        }
        var storage = Storage.OnDevice(device, Numel, DType);
        try
        {
            if (DType == DType.Int32) storage.Memory!.Upload(Int32Span, 0);
            else storage.Memory!.Upload(Span, 0);
        }
        catch
        {
            storage.Release();
            throw;
        }
        return new Tensor(storage, 0, (int[])_shape.Clone());
    }

    /// <summary>Element at a full index (tensor and backend layers, and the tests; elsewhere ToArray or Item).</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    internal float this[params int[] index]
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

    private void ThrowUnlessDType(DType expected, string what)
    {
        if (DType != expected)
            throw new InvalidOperationException(
                $"this tensor (shape {ShapeUtil.Format(_shape)}) holds {DType.ToString().ToLowerInvariant()} values, not {expected.ToString().ToLowerInvariant()}: " +
                $"{what} cannot be taken from it" + (DType == DType.Int32 ? " (read it with ToInt32Array())" : " (read it with ToArray())"));
    }

    private void ThrowUnlessCpu(string what)
    {
        if (OnDevice)
            throw new InvalidOperationException(
                $"this tensor (shape {ShapeUtil.Format(_shape)}) lives on {Device}: {what} of its elements exists on the cpu only " +
                "(copy it with To(Device.Cpu), or read it with ToArray())");
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

    /// <summary>
    /// An uninitialised tensor on <paramref name="device"/>: from the pool on the CPU, without storage on meta, from the
    /// device's registered backend elsewhere.
    /// </summary>
    public static Tensor Empty(int[] shape, Device device) => device.Kind switch
    {
        DeviceKind.Cpu => Empty(shape),
        DeviceKind.Meta => Meta(shape),
        _ => OnDeviceStorage(shape, device, DType.Float32),
    };

    /// <summary>An uninitialised float32 tensor on <paramref name="device"/> (how the ops allocate on their inputs' device).</summary>
    public static Tensor Empty(Device device, params int[] shape) => Empty(shape, device);

    private static Tensor OnDeviceStorage(int[] shape, Device device, DType dtype)
    {
        var s = ShapeUtil.Validate(shape);
        return new Tensor(Storage.OnDevice(device, ShapeUtil.Numel(s), dtype), 0, s);
    }

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
        var t = Empty(ShapeFor(data.Length, shape));
        data.CopyTo(t.Span);
        return t;
    }

    /// <summary>An int32 tensor holding a copy of <paramref name="data"/> (labels, indices) with the given shape.</summary>
    public static Tensor FromArray(int[] data, params int[] shape)
    {
        var t = EmptyInt32(ShapeFor(data.Length, shape));
        data.CopyTo(t.Int32Span);
        return t;
    }

    /// <summary>The shape of <paramref name="count"/> values: <paramref name="shape"/>, or (count) when none is given.</summary>
    private static int[] ShapeFor(int count, int[] shape)
    {
        var s = ShapeUtil.Validate(shape.Length == 0 && count != 1 ? [count] : shape);
        if (ShapeUtil.Numel(s) != count)
            throw new ArgumentException($"{count} values cannot have shape {ShapeUtil.Format(s)} ({ShapeUtil.Numel(s)} elements)");
        return s;
    }

    /// <summary>An int32 tensor on <paramref name="device"/> for indices an op writes (zero on the CPU; undefined elsewhere).</summary>
    internal static Tensor EmptyInt32(Device device, params int[] shape) => device.Kind switch
    {
        DeviceKind.Cpu => EmptyInt32(shape),
        DeviceKind.Meta => Meta(shape),
        _ => OnDeviceStorage(shape, device, DType.Int32),
    };

    /// <summary>A zero int32 tensor (not pooled), for indices an op writes.</summary>
    internal static Tensor EmptyInt32(params int[] shape)
    {
        var s = ShapeUtil.Validate(shape);
        return new Tensor(Storage.WrapInt32(new int[ShapeUtil.Numel(s)]), 0, s);
    }

    /// <summary>Wraps an array without copying (not pooled): used for parameters that live as long as their module.</summary>
    internal static Tensor Wrap(float[] data, int[] shape) => new(Storage.Wrap(data), 0, ShapeUtil.Validate(shape));

    /// <summary>
    /// A zero tensor on <paramref name="device"/> for gradients and optimizer state: persistent on the CPU, a device
    /// buffer (zero-filled by its backend) elsewhere.
    /// </summary>
    public static Tensor ZerosPersistent(Device device, params int[] shape)
    {
        if (device.IsCpu) return ZerosPersistent(shape);
        var t = Empty(shape, device);
        if (!t.IsMeta) t.Backend.Fill(t, 0f);
        return t;
    }

    /// <summary>A tensor of <paramref name="value"/> on <paramref name="device"/>.</summary>
    public static Tensor Full(Device device, int[] shape, float value)
    {
        if (device.IsCpu) return Full(shape, value);
        var t = Empty(shape, device);
        t.Backend.Fill(t, value);
        return t;
    }

    /// <summary>A persistent (not pooled) zero tensor, for parameters, gradients and optimizer state.</summary>
    public static Tensor ZerosPersistent(params int[] shape)
    {
        var s = ShapeUtil.Validate(shape);
        return Wrap(new float[ShapeUtil.Numel(s)], s);
    }

    /// <summary>Samples from U[low, high) drawn from <paramref name="generator"/> (default: the seeded default generator).</summary>
    public static Tensor Uniform(int[] shape, float low = 0f, float high = 1f, RandomGenerator? generator = null)
    {
        var t = Empty(shape);
        t.Backend.FillUniform(t, low, high, generator ?? RandomGenerator.Default);
        return t;
    }

    /// <summary>Samples from N(mean, std²).</summary>
    public static Tensor Normal(int[] shape, float mean = 0f, float std = 1f, RandomGenerator? generator = null)
    {
        var t = Empty(shape);
        t.Backend.FillNormal(t, mean, std, generator ?? RandomGenerator.Default);
        return t;
    }

    /// <summary>An independent copy (no gradient tracking); a meta tensor's clone is a meta tensor of its shape.</summary>
    public Tensor Clone()
    {
        if (IsMeta) return new Tensor(_shape);
        if (OnDevice)
        {
            var copy = DType == DType.Int32 ? EmptyInt32(Device, _shape) : Empty(_shape, Device);
            Backend.Copy(this, copy);
            return copy;
        }
        if (DType == DType.Int32) return FromArray(ToInt32Array(), _shape);
        var t = Empty(_shape);
        Span.CopyTo(t.Span);
        return t;
    }

    /// <summary>Copies the values of <paramref name="source"/> (same element count) into this tensor, in place.</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Numel != Numel)
            throw new ArgumentException($"cannot copy a tensor of shape {ShapeUtil.Format(source._shape)} into shape {ShapeUtil.Format(_shape)}");
        if (source.Device == Device && !OnDevice) { source.Span.CopyTo(Span); return; }
        if (source.Device == Device) { Backend.Copy(source, this); return; }
        if (!source.OnDevice) { CopyFrom(source.Span); return; }
        var host = source.To(Device.Cpu);
        CopyFrom(host);
        host.Release();
    }

    /// <summary>Copies <paramref name="values"/> (as many as this float32 tensor has elements) into it, in place.</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Numel)
            throw new ArgumentException($"cannot copy {values.Length} values into a tensor of shape {ShapeUtil.Format(_shape)} ({Numel} elements)");
        if (OnDevice) { ThrowUnlessDType(DType.Float32, "float32 values"); DeviceMemory.Upload(values, _offset); }
        else values.CopyTo(Span);
    }

    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        if (_released) return $"tensor(<released>, shape={ShapeUtil.Format(_shape)})";
        if (IsMeta) return $"tensor(..., device='meta', shape={ShapeUtil.Format(_shape)})";
        if (OnDevice) return $"tensor(..., device='{Device}', shape={ShapeUtil.Format(_shape)})";
        int shown = Math.Min(Numel, 8);
        sb.Append('[');
        for (int i = 0; i < shown; i++)
            sb.Append(i > 0 ? ", " : "").Append(DType == DType.Int32
                ? Int32Span[i].ToString(System.Globalization.CultureInfo.InvariantCulture)
                : Span[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        if (Numel > shown) sb.Append(", …");
        sb.Append("], shape=").Append(ShapeUtil.Format(_shape));
        if (DType != DType.Float32) sb.Append(", dtype=").Append(DType.ToString().ToLowerInvariant());
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFn.Name).Append('>');
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }
}
