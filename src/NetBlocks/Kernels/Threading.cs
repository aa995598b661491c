namespace NetBlocks.Kernels;

/// <summary>
/// The one place that decides how many threads kernels use. Kernels split work in coarse chunks
/// through <see cref="For"/>; nothing creates a thread per call.
/// </summary>
public static class Threading
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Number of threads kernels may use (default: the number of cores). At least 1.</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "threads must be at least 1");
    }

    /// <summary>Runs body(i) for i in [0, count) on up to <see cref="Threads"/> threads; returns when all are done.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _threads == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        System.Threading.Tasks.Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _threads }, body);
    }
}
