using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// A cap, on this thread, on the parameter and buffer elements that modules may materialise: each layer reserves its
/// state against the cap before allocating it (<see cref="Module.NewState"/>). Loading a checkpoint sets the cap to the
/// elements the file holds, so a small file whose metadata names a huge model fails before that model's memory is
/// allocated and initialised, not after.
/// </summary>
public static class ParameterBudget
{
    [ThreadStatic] private static Scope? t_current;

    /// <summary>
    /// Until the returned scope is disposed, materialising more than <paramref name="elements"/> parameter and buffer
    /// elements in total throws an <see cref="InvalidDataException"/> whose message starts with <paramref name="what"/>.
    /// </summary>
    public static Scope Limit(long elements, string what)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elements);
        ArgumentNullException.ThrowIfNull(what);
        return new Scope(elements, what);
    }

    /// <summary>Reserves the elements of a state tensor of <paramref name="shape"/> for <paramref name="module"/>, or throws when the cap is exceeded.</summary>
    internal static void Reserve(Module module, ReadOnlySpan<int> shape)
    {
        long n = Sizes.Product(shape);
        if (t_current is not { } c) return;
        c.Used = c.Used > c.Elements - n ? c.Elements + 1 : c.Used + n;
        if (c.Used > c.Elements)
            throw new InvalidDataException(
                $"{c.What}: the model needs more than the {Sizes.Count(c.Elements)} parameter and buffer elements the file holds " +
                $"(exceeded at {module.Describe()}, whose state tensor {ShapeUtil.Format(shape)} has {Sizes.Count(n)} elements); " +
                "nothing was allocated for it");
    }

    /// <summary>An active cap; disposing it restores the previous one.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly Scope? _previous;
        private bool _disposed;

        internal Scope(long elements, string what)
        {
            Elements = elements;
            What = what;
            _previous = t_current;
            t_current = this;
        }

        /// <summary>The cap, in elements.</summary>
        public long Elements { get; }

        /// <summary>What the cap comes from (the checkpoint's path), which starts the error message.</summary>
        public string What { get; }

        /// <summary>Elements reserved so far.</summary>
        public long Used { get; internal set; }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            t_current = _previous;
        }
    }
}
