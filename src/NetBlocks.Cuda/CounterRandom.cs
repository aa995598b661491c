namespace NetBlocks.Cuda;

/// <summary>
/// A counter-based random stream: number i of stream <c>seed</c> is SplitMix64's output function applied to
/// seed + (i + 1)·γ (γ the golden-ratio increment), so any thread computes its own number from (seed, i) alone, with no
/// state to carry between kernels, and the host computes the same numbers (the tests' reference). Uniform floats take
/// the top 24 bits, as the engine's <c>RandomGenerator.NextFloat</c>.
/// </summary>
public static class CounterRandom
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>Number <paramref name="counter"/> of stream <paramref name="seed"/>.</summary>
    public static ulong Next(ulong seed, ulong counter)
    {
        ulong z = seed + (counter + 1) * Gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 bits of precision.</summary>
    public static float NextFloat(ulong seed, ulong counter) => (Next(seed, counter) >> 40) * (1.0f / (1 << 24));
}
