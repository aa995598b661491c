using ILGPU;

namespace NetBlocks.Cuda;

/// <summary>
/// Optional buffers (a bias, γ and β, a ReLU mask, a momentum buffer) are empty views when absent, and the kernels test
/// their length. An absent one is passed to a kernel as a zero-length view into a buffer the call has anyway, never as
/// <see cref="ArrayView{T}.Empty"/>, so every view a kernel receives points into a live allocation.
/// </summary>
internal static class OptionalViews
{
    /// <summary><paramref name="optional"/> when it has elements, else a zero-length view of <paramref name="anchor"/>.</summary>
    public static ArrayView<T> OrEmptyOf<T>(this ArrayView<T> optional, ArrayView<T> anchor) where T : unmanaged
        => optional.Length != 0 ? optional : anchor.SubView(0, 0);
}
