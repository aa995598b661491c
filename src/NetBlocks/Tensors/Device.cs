namespace NetBlocks.Tensors;

/// <summary>What kind of memory a tensor's elements live in.</summary>
public enum DeviceKind
{
    /// <summary>Managed memory on the host; the only device with element access (spans).</summary>
    Cpu,
    /// <summary>No memory at all: shapes only (PyTorch's <c>device="meta"</c>), for shape passes and analysis.</summary>
    Meta,
}

/// <summary>
/// Where a tensor lives, as torch.device: a kind and, for devices with several instances, an index. Parsed from and
/// printed as PyTorch spells it ("cpu", "meta").
/// </summary>
public sealed record Device(DeviceKind Kind, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu);
    public static readonly Device Meta = new(DeviceKind.Meta);

    public bool IsCpu => Kind == DeviceKind.Cpu;
    public bool IsMeta => Kind == DeviceKind.Meta;

    /// <summary>"cpu" or "meta" (case-insensitive, as torch.device).</summary>
    public static Device Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cpu" => Cpu,
        "meta" => Meta,
        _ => throw new ArgumentException($"unknown device '{text}': this build knows cpu and meta"),
    };

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
