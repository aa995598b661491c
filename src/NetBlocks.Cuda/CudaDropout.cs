using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// Inverted dropout on the device: element i keeps its value scaled by 1/(1 − p) when
/// <see cref="CounterRandom.NextFloat"/>(seed, offset + i) ≥ p, else becomes 0 (the comparison of <c>F.Dropout</c>); the
/// mask (0 or 1/(1 − p)) is written for the backward, dx = dy · mask (<see cref="CudaElementwise.Multiply"/>). The
/// numbers come from a counter-based stream, not from the CPU's sequential generator, so a GPU run draws different
/// masks than a CPU run with the same seed; the same (seed, offset) always gives the same mask.
/// </summary>
public sealed class CudaDropout
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, DropoutArgs> _kernel;

    internal CudaDropout(CudaContext context)
        => _kernel = context.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, DropoutArgs>(Kernel);

    /// <summary>mask[i] = u(seed, offset + i) ≥ p ? 1/(1 − p) : 0 and y = x · mask. p in [0, 1] (p = 1 drops everything).</summary>
    public void Forward(ArrayView<float> x, float p, ulong seed, ulong offset, ArrayView<float> mask, ArrayView<float> y)
    {
        const string op = "cuda dropout";
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"{op}: dropout probability has to be between 0 and 1, but got {p}");
        if (mask.Length != x.Length || y.Length != x.Length)
            throw new ArgumentException($"{op}: x, mask and y have {x.Length}, {mask.Length} and {y.Length} elements");
        if (x.Length > int.MaxValue) throw new ArgumentException($"{op}: {x.Length} elements exceed a kernel launch");
        var args = new DropoutArgs { P = p, Keep = p == 1 ? 0f : 1f / (1f - p), Seed = seed, Offset = offset };
        if (x.Length > 0) _kernel((int)x.Length, x, mask, y, args);
    }

    internal struct DropoutArgs
    {
        public float P, Keep;
        public ulong Seed, Offset;
    }

    private static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> mask, ArrayView<float> y, DropoutArgs a)
    {
        float m = CounterRandom.NextFloat(a.Seed, a.Offset + (ulong)i.X) >= a.P ? a.Keep : 0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}
