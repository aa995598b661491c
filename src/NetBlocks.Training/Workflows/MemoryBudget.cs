using System.Globalization;

namespace NetBlocks.Workflows;

/// <summary>
/// How much memory a run may still take: the container's limit less what it already uses (cgroup v2
/// <c>memory.max</c>/<c>memory.current</c>, or v1 <c>memory.limit_in_bytes</c>/<c>memory.usage_in_bytes</c>), and
/// the machine's <c>MemAvailable</c> from /proc/meminfo, whichever is smaller; elsewhere what the .NET GC reports.
/// </summary>
/// <param name="AvailableBytes">What is left to allocate.</param>
/// <param name="Source">Where the number comes from, for messages ("the container's limit of 3.0 GiB, 1.2 GiB in use").</param>
public sealed record MemoryBudget(long AvailableBytes, string Source)
{
    /// <summary>The budget of this process now.</summary>
    public static MemoryBudget Read() =>
        FromFiles(ReadFile("/sys/fs/cgroup/memory.max") ?? ReadFile("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                  ReadFile("/sys/fs/cgroup/memory.current") ?? ReadFile("/sys/fs/cgroup/memory/memory.usage_in_bytes"),
                  ReadFile("/proc/meminfo"))
        ?? new MemoryBudget(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetTotalMemory(false), "as .NET reports it");

    /// <summary>The budget from the files' contents (null: a file was absent); null when none says anything.</summary>
    public static MemoryBudget? FromFiles(string? cgroupLimit, string? cgroupUsage, string? meminfo)
    {
        MemoryBudget? container = null, machine = null;
        if (ParseBytes(cgroupLimit) is long limit && limit < long.MaxValue / 2)
        {
            long used = ParseBytes(cgroupUsage) ?? 0;
            container = new MemoryBudget(Math.Max(0, limit - used), $"the container's limit of {Format(limit)}, {Format(used)} in use");
        }
        var line = meminfo?.Split('\n').FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        if (line is not null && long.TryParse(line["MemAvailable:".Length..].Replace("kB", "").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
            machine = new MemoryBudget(kb * 1024, "the machine's MemAvailable");
        return container is null ? machine : machine is null || container.AvailableBytes <= machine.AvailableBytes ? container : machine;
    }

    /// <summary>"3.0 GiB", "512 MiB".</summary>
    public static string Format(long bytes) => bytes >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F0} MiB");

    /// <summary>A cgroup number ("max" = no limit → null).</summary>
    private static long? ParseBytes(string? text) =>
        long.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static string? ReadFile(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
