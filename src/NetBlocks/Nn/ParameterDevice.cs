using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// Where modules materialise their parameters and buffers on this thread, as PyTorch's <c>with torch.device(…)</c>:
/// the CPU by default, or <see cref="Device.Meta"/> to size a model without allocating or initialising its weights. A
/// model materialised on meta has meta parameters (shapes, no arrays, no random draws): its shape pass, parameter
/// counts, MACs and memory estimates are those of the real model; it cannot compute, load a state dict or train. A
/// device with a registered backend (cuda:N) materialises them there: the initialisers draw on the host, in the CPU's
/// order, and upload, so a model built on a device starts from the CPU model's weights.
/// </summary>
public static class ParameterDevice
{
    [ThreadStatic] private static Device? t_current;

    /// <summary>The device new parameters and buffers go to on this thread.</summary>
    public static Device Current => t_current ?? Device.Cpu;

    /// <summary>Until the returned scope is disposed, modules on this thread materialise their state on <paramref name="device"/>.</summary>
    public static Scope Use(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsMeta && !Backends.Backend.IsAvailable(device))
            throw new ArgumentException($"parameters cannot live on device {device}: no backend is registered for it");
        return new Scope(device);
    }

    /// <summary>An active device; disposing it restores the previous one.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Device? _previous;

        internal Scope(Device device)
        {
            _previous = t_current;
            t_current = device;
        }

        public void Dispose() => t_current = _previous;
    }
}
