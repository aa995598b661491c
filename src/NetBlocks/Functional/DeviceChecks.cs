using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// Refuses an op whose operands live on different devices (after the meta test: a meta operand makes a meta result
    /// whatever the others' device), naming the op and both devices, as PyTorch does; outputs are then allocated on the
    /// first operand's device.
    /// </summary>
    private static void SameDevice(string op, Tensor a, Tensor? b, Tensor? c = null, Tensor? d = null, Tensor? e = null)
    {
        foreach (var t in (ReadOnlySpan<Tensor?>)[b, c, d, e])
            if (t is not null && t.Device != a.Device)
                throw new ArgumentException(
                    $"{op}: expected all tensors on the same device, found {a.Device} and {t.Device} " +
                    "(move them with To(device) first)");
    }
}
