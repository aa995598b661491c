using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Models;

/// <summary>
/// The sum of a residual block, for <c>Module.Combine</c>: the branch and the shortcut must have one shape (no
/// broadcasting between them), else the error names both. The operand order is the source's: d2l writes
/// <c>Y += X</c>, torchvision <c>proj(x) + f(x)</c>.
/// </summary>
internal static class Residual
{
    /// <summary>shortcut + branch, as torchvision's (and pycls's) residual blocks.</summary>
    public static readonly Func<Tensor, Tensor, Tensor> ShortcutPlusBranch = (y, s) =>
    {
        Check(y, s, "");
        return F.Add(s, y);
    };

    /// <summary>
    /// relu(branch + shortcut) in one pass, written over the branch when nothing else holds it
    /// (<see cref="F.AddReluConsuming"/>): ResNeXtBlock's and d2l's Residual's <c>F.relu(Y + X)</c>.
    /// </summary>
    public static readonly Func<Tensor, Tensor, Tensor> ReluOfBranchPlusShortcut = (y, s) =>
    {
        Check(y, s, ": use a projection (use_1x1conv) when the stride or channel count changes");
        return F.AddReluConsuming(y, s);
    };

    /// <summary>
    /// relu(shortcut + branch) in one pass, written over the branch when nothing else holds it (the shortcut may be
    /// the block's input, which is the caller's): torchvision's <c>activation(proj(x) + f(x))</c> when the activation is
    /// a ReLU. The same values as the sum in the source's order (a float sum of two terms does not depend on it).
    /// </summary>
    public static readonly Func<Tensor, Tensor, Tensor> ReluOfShortcutPlusBranch = (y, s) =>
    {
        Check(y, s, "");
        return F.AddReluConsuming(y, s);
    };

    private static void Check(Tensor y, Tensor s, string hint)
    {
        if (!y.Shape.SequenceEqual(s.Shape))
            throw new ArgumentException($"residual branch {ShapeUtil.Format(y.Shape)} and shortcut {ShapeUtil.Format(s.Shape)} differ{hint}");
    }
}
