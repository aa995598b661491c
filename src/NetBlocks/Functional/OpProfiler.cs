using System.Diagnostics;

namespace NetBlocks.Functional;

/// <summary>
/// Wall time per op kind (forward and backward apart), for `netblocks bench --profile`. Off by default: a disabled
/// <see cref="Scope"/> is one static read, no clock and no allocation. Only the thread that runs the graph records
/// (the ops run on it; their kernels may fan out to workers inside the timed region).
/// </summary>
public static class OpProfiler
{
    private static readonly Dictionary<string, (long Ticks, long Calls)> Totals = new();
    private static bool _enabled;

    public static bool Enabled { get => _enabled; set => _enabled = value; }

    /// <summary>Times the region until the returned scope is disposed: <c>using var _ = OpProfiler.Scope("conv2d");</c></summary>
    public static Timer Scope(string op) => _enabled ? new Timer(op, Stopwatch.GetTimestamp()) : default;

    /// <summary>Accumulated (op, seconds, calls), largest first.</summary>
    public static IReadOnlyList<(string Op, double Seconds, long Calls)> Snapshot()
    {
        lock (Totals)
            return [.. Totals.Select(kv => (kv.Key, kv.Value.Ticks / (double)Stopwatch.Frequency, kv.Value.Calls)).OrderByDescending(t => t.Item2)];
    }

    public static void Reset() { lock (Totals) Totals.Clear(); }

    internal static void Add(string op, long ticks)
    {
        lock (Totals)
        {
            var t = Totals.GetValueOrDefault(op);
            Totals[op] = (t.Ticks + ticks, t.Calls + 1);
        }
    }

    public readonly struct Timer(string? op, long start) : IDisposable
    {
        public void Dispose()
        {
            if (op is not null) Add(op, Stopwatch.GetTimestamp() - start);
        }
    }
}
