using System.Diagnostics;

namespace NetBlocks.Functional;

/// <summary>
/// Where the ops time themselves: into the <see cref="OpProfile"/> of the context in force
/// (<see cref="ExecutionContext.Current"/>). A scope of a context that does not profile is one read, no clock and no
/// allocation. Only the thread that runs the graph records (the ops run on it; their kernels may fan out to workers
/// inside the timed region).
/// </summary>
public static class OpProfiler
{
    /// <summary>Whether the current context profiles (ops that build a descriptive name only do so then).</summary>
    public static bool Enabled => ExecutionContext.Current.Profiler.Enabled;

    /// <summary>Times the region until the returned scope is disposed: <c>using var _ = OpProfiler.Scope("conv2d");</c></summary>
    public static Timer Scope(string op)
    {
        var profile = ExecutionContext.Current.Profiler;
        return profile.Enabled ? new Timer(profile, op, Stopwatch.GetTimestamp()) : default;
    }

    /// <summary>A running measurement; adds its time to the profile it was started for when disposed.</summary>
    public readonly struct Timer(OpProfile? profile, string? op, long start) : IDisposable
    {
        public void Dispose()
        {
            if (profile is not null) profile.Add(op!, Stopwatch.GetTimestamp() - start);
        }
    }
}
