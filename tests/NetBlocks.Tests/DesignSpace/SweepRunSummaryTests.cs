using NetBlocks.DesignSpace;

namespace NetBlocks.Tests.DesignSpace;

public sealed class SweepRunSummaryTests
{
    [Fact]
    public void The_closing_line_counts_everything_and_names_retry_only_when_trials_failed()
    {
        var clean = new SweepRunSummary(3, 1, 0, 0, 0, 0, new SweepCounts(0, 0, 3, 0), TimeSpan.FromSeconds(2.5));
        Assert.Equal("this run: 3 completed, 0 to retry, 0 failed, 0 lost claims, 0 handed back, 1 diverged (chance-level error) in 2.5 s; " +
                     "sweep: 3 done, 0 failed, 0 pending, 0 running", clean.Describe("a"));
        var failed = new SweepRunSummary(1, 0, 2, 1, 1, 1, new SweepCounts(1, 0, 1, 2), TimeSpan.FromSeconds(10));
        Assert.Equal("this run: 1 completed, 1 to retry, 2 failed, 1 lost claims, 1 handed back, 0 diverged (chance-level error) in 10.0 s; " +
                     "sweep: 1 done, 2 failed, 1 pending, 0 running; re-queue the failed ones with `netblocks sweep retry a`", failed.Describe("a"));
    }
}
