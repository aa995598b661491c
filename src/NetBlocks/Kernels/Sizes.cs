using System.Globalization;

namespace NetBlocks.Kernels;

/// <summary>
/// Size arithmetic in checked 64-bit integers, for every element count, shape product, MAC count and allocation size
/// in the engine: a product that does not fit a long, or a count larger than an array can hold, is an
/// <see cref="ArgumentException"/> that says which size, instead of a value that silently wrapped around.
/// </summary>
public static class Sizes
{
    /// <summary>The most elements one tensor (one float[]) can hold: <see cref="Array.MaxLength"/>.</summary>
    public static int MaxElements => Array.MaxLength;

    /// <summary>
    /// The product of <paramref name="dims"/> (1 for none); negative sizes and 64-bit overflow are errors naming
    /// <paramref name="what"/> (after "<paramref name="op"/>: " when given; the name is formatted only on failure, so
    /// a kernel's per-call check allocates nothing).
    /// </summary>
    public static long Product(ReadOnlySpan<int> dims, string what = "shape", string? op = null)
    {
        long n = 1;
        foreach (int d in dims)
        {
            if (d < 0) throw new ArgumentException($"{Name(op, what)} {Format(dims)} has a negative size {d}");
            if (!TryMultiply(n, d, out n)) throw new ArgumentException($"{Name(op, what)} {Format(dims)} has more elements than a 64-bit count holds");
        }
        return n;
    }

    /// <summary>a·b for non-negative counts, or an error naming <paramref name="what"/> when it does not fit a long.</summary>
    public static long Multiply(long a, long b, string what, string? op = null)
    {
        if (a < 0 || b < 0) throw new ArgumentException($"{Name(op, what)}: negative count ({a} × {b})");
        if (!TryMultiply(a, b, out long r)) throw new ArgumentException($"{Name(op, what)}: {Count(a)} × {Count(b)} is more than a 64-bit count holds");
        return r;
    }

    /// <summary>a·b in checked 64-bit arithmetic: false (and 0) when it does not fit a long.</summary>
    public static bool TryMultiply(long a, long b, out long result)
    {
        try { result = checked(a * b); return true; }
        catch (OverflowException) { result = 0; return false; }
    }

    /// <summary>
    /// The element count of <paramref name="dims"/> as an int, or an error when one array cannot hold it: "{what} (…) has
    /// 17,179,869,184 elements, more than a tensor holds (2,147,483,591)".
    /// </summary>
    public static int Elements(ReadOnlySpan<int> dims, string what = "shape", string? op = null)
    {
        long n = Product(dims, what, op);
        if (n > MaxElements) throw new ArgumentException($"{Name(op, what)} {Format(dims)} has {Count(n)} elements, more than a tensor holds ({Count(MaxElements)})");
        return (int)n;
    }

    /// <summary>
    /// Checks that <paramref name="count"/> elements from <paramref name="offset"/> lie inside a buffer of
    /// <paramref name="length"/>: the check an unsafe kernel makes once, at its entry, for each buffer it is handed.
    /// </summary>
    public static void Region(string op, string buffer, int length, long offset, long count)
    {
        if (offset < 0 || count < 0 || count > length - offset)
            throw new ArgumentException($"{op}: {buffer} has {length} elements; it needs {count} from offset {offset}");
    }

    /// <summary>A count with thousands separators, as every size in an error message is written.</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Name(string? op, string what) => op is null ? what : $"{op}: {what}";

    /// <summary>A shape as PyTorch prints it: (2, 3, 4), (5,) or ().</summary>
    public static string Format(ReadOnlySpan<int> dims) => dims.Length switch
    {
        0 => "()",
        1 => $"({dims[0]},)",
        _ => "(" + string.Join(", ", dims.ToArray()) + ")",
    };
}
