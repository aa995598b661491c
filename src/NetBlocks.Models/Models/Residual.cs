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
    /// <summary>branch + shortcut, as d2l's Residual and ResNeXtBlock.</summary>
    public static readonly Func<Tensor, Tensor, Tensor> BranchPlusShortcut = (y, s) =>
    {
        Check(y, s, ": use a projection (use_1x1conv) when the stride or channel count changes");
        return F.Add(y, s);
    };

    /// <summary>shortcut + branch, as torchvision's (and pycls's) residual blocks.</summary>
    public static readonly Func<Tensor, Tensor, Tensor> ShortcutPlusBranch = (y, s) =>
    {
        Check(y, s, "");
        return F.Add(s, y);
    };

    private static void Check(Tensor y, Tensor s, string hint)
    {
        if (!y.Shape.SequenceEqual(s.Shape))
            throw new ArgumentException($"residual branch {ShapeUtil.Format(y.Shape)} and shortcut {ShapeUtil.Format(s.Shape)} differ{hint}");
    }
}
