using System.Globalization;

namespace NetBlocks.Tensors;

/// <summary>What kind of memory a tensor's elements live in.</summary>
public enum DeviceKind
{
    /// <summary>Managed memory on the host; the only device with element access (spans).</summary>
    Cpu,
    /// <summary>No memory at all: shapes only (PyTorch's <c>device="meta"</c>), for shape passes and analysis.</summary>
    Meta,
    /// <summary>An NVIDIA GPU's memory (through NetBlocks.Cuda, which registers its backend).</summary>
    Cuda,
}

/// <summary>
/// Where a tensor lives, as torch.device: a kind and, for devices with several instances, an index. Parsed from and
/// printed as PyTorch spells it ("cpu", "meta", "cuda:0").
/// </summary>
public sealed record Device(DeviceKind Kind, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu);
    public static readonly Device Meta = new(DeviceKind.Meta);

    /// <summary>CUDA device <paramref name="index"/> (cuda:N).</summary>
    public static Device Cuda(int index = 0) => index >= 0
        ? new(DeviceKind.Cuda, index)
        : throw new ArgumentOutOfRangeException(nameof(index), index, "a CUDA device index cannot be negative");

    public bool IsCpu => Kind == DeviceKind.Cpu;
    public bool IsMeta => Kind == DeviceKind.Meta;

    /// <summary>"cpu", "meta", "cuda" (cuda:0) or "cuda:N" (case-insensitive, as torch.device).</summary>
    public static Device Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "meta") return Meta;
        if (t == "cuda") return Cuda(0);
        if (t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            return Cuda(index);
        throw new ArgumentException($"unknown device '{text}': expected cpu, meta, cuda or cuda:N");
    }

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Meta => "meta",
        _ => $"{Kind.ToString().ToLowerInvariant()}:{Index}",
    };
}

/// <summary>The element type of a tensor, as torch.dtype.</summary>
public enum DType
{
    Float32,
    Int32,
}
