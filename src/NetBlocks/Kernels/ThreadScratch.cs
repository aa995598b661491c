namespace NetBlocks.Kernels;

/// <summary>
/// Per-thread scratch buffers for the kernels. Each caller keeps its own <c>[ThreadStatic]</c> field and passes it by
/// reference, so buffers of different purposes never share storage; a buffer grows to the largest request and is never
/// shrunk. Per thread rather than from the tensor pool: which thread runs which work item varies, and renting per item
/// would make the pool's size depend on that timing.
/// </summary>
internal static class ThreadScratch
{
    /// <summary>The buffer in <paramref name="slot"/>, grown to at least <paramref name="length"/> elements; contents unspecified.</summary>
    public static T[] Get<T>(ref T[]? slot, int length) where T : unmanaged
    {
        var a = slot;
        if (a is null || a.Length < length) slot = a = GC.AllocateUninitializedArray<T>(length);
        return a;
    }

    /// <summary>
    /// A buffer for zero-padded planes, of at least <paramref name="length"/> floats. Callers write only the interior, so
    /// the borders stay zero from one use to the next: the buffer is zeroed when it grows and when
    /// <paramref name="layout"/> differs from the one it was last zeroed for (remembered in <paramref name="lastLayout"/>).
    /// </summary>
    public static float[] Padded<TLayout>(ref float[]? slot, ref TLayout lastLayout, TLayout layout, int length)
        where TLayout : struct, IEquatable<TLayout>
    {
        var a = slot;
        if (a is null || a.Length < length) slot = a = new float[length];
        else if (!lastLayout.Equals(layout)) Array.Clear(a, 0, length);
        else return a;
        lastLayout = layout;
        return a;
    }
}
