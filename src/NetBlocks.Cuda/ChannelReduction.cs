using ILGPU;

namespace NetBlocks.Cuda;

/// <summary>
/// The per-channel reductions over x (N, C, S) (batch-norm statistics and gradients, a convolution's bias gradient):
/// one group per channel; thread t of the group visits the channel's elements t, t + T, t + 2T, … (T threads, elements
/// numbered sample by sample) and the T partial sums are combined by a tree in shared memory, halving each round. The
/// order of every addition depends only on the shapes and T, never on timing, so a reduction repeats bit for bit.
/// </summary>
internal static class ChannelReduction
{
    /// <summary>The sum of every thread's <paramref name="value"/> over the group, in the fixed tree order; every thread gets it.</summary>
    public static double Sum(ArrayView<double> shared, double value)
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half >>= 1)
        {
            if (t < half) shared[t] += shared[t + half];
            Group.Barrier();
        }
        double total = shared[0];
        Group.Barrier(); // everyone has read the total before the next reduction writes over it
        return total;
    }

    /// <summary>Index in x (N, C, S) of the channel's element e (sample e / S, position e % S).</summary>
    public static long Index(int channel, int c, int s, long e)
    {
        long sample = e / s;
        return (sample * c + channel) * s + (e - sample * s);
    }

    /// <summary>One group per channel, <paramref name="group"/> threads, shared room for one double a thread.</summary>
    public static KernelConfig Launch(int channels, int group)
        => new(new Index1D(channels), new Index1D(group), SharedMemoryConfig.RequestDynamic<double>(group));
}
