using System.Diagnostics;

namespace NetBlocks.Functional;

/// <summary>
/// Wall time per op kind (forward and backward apart) of one <see cref="ExecutionContext"/>, for `netblocks bench
/// --profile`. Off by default. The ops record into the profile of the context in force where they run (through
/// <see cref="OpProfiler.Scope"/>), so two contexts profiling at once keep their ops apart.
/// </summary>
public sealed class OpProfile
{
    private readonly Dictionary<string, (long Ticks, long Calls)> _totals = new();
    private volatile bool _enabled;

    /// <summary>Whether ops record their time here.</summary>
    public bool Enabled { get => _enabled; set => _enabled = value; }

    /// <summary>Accumulated (op, seconds, calls), largest first.</summary>
    public IReadOnlyList<(string Op, double Seconds, long Calls)> Snapshot()
    {
        lock (_totals)
            return [.. _totals.Select(kv => (kv.Key, kv.Value.Ticks / (double)Stopwatch.Frequency, kv.Value.Calls)).OrderByDescending(t => t.Item2)];
    }

    public void Reset() { lock (_totals) _totals.Clear(); }

    internal void Add(string op, long ticks)
    {
        lock (_totals)
        {
            var t = _totals.GetValueOrDefault(op);
            _totals[op] = (t.Ticks + ticks, t.Calls + 1);
        }
    }
}
