using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// True when an op's operands include a meta tensor: the op checks the shapes as always, then returns a meta tensor
    /// of its output shape without computing (a shape pass through real weights gives meta outputs, as in PyTorch).
    /// Every op makes this test once, right after its shape validation.
    /// </summary>
    private static bool AnyMeta(Tensor a, Tensor? b = null, Tensor? c = null) =>
        a.IsMeta || (b?.IsMeta ?? false) || (c?.IsMeta ?? false);
}
