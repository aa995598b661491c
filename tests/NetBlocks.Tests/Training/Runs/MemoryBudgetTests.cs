using NetBlocks.Workflows;

namespace NetBlocks.Tests.Training.Runs;

/// <summary>The memory a run may take, from cgroup files and /proc/meminfo as the kernel writes them.</summary>
public class MemoryBudgetTests
{
    private const string MemInfo = "MemTotal:       24000000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n";

    [Fact]
    public void TheContainerLimitLessItsUsageWinsWhenSmaller()
    {
        var b = MemoryBudget.FromFiles("3221225472\n", "1073741824\n", MemInfo)!;
        Assert.Equal(2L << 30, b.AvailableBytes);
        Assert.Equal("the container's limit of 3.0 GiB, 1.0 GiB in use", b.Source);
    }

    [Fact]
    public void NoLimitOrNoCgroupFallsBackToMemAvailable()
    {
        foreach (var limit in new[] { "max\n", null })
        {
            var b = MemoryBudget.FromFiles(limit, "123\n", MemInfo)!;
            Assert.Equal(20000000L * 1024, b.AvailableBytes);
            Assert.Equal("the machine's MemAvailable", b.Source);
        }
        Assert.Null(MemoryBudget.FromFiles(null, null, null));
    }

    [Fact]
    public void TheMachineWinsWhenItHasLessThanTheContainerLimit()
    {
        var b = MemoryBudget.FromFiles("107374182400", "0", MemInfo)!;
        Assert.Equal(20000000L * 1024, b.AvailableBytes);
    }
}
