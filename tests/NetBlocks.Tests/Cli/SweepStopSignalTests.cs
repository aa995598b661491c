using System.Diagnostics;
using NetBlocks.DesignSpace;
using NetBlocks.Tests.Data;

namespace NetBlocks.Tests.Cli;

/// <summary>`sweep run` sent SIGTERM (what Kubernetes, SLURM and `timeout` send) hands its trial back, as after Ctrl+C.</summary>
public sealed class SweepStopSignalTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void SigtermHandsTheTrialBack()
    {
        var storeUrl = dir["sweeps.db"];
        var models = Enumerable.Range(0, 2).Select(i => new SampledModel(i, $"anynet:stem=16,1x{8 * (i + 1)}", new Dictionary<string, double>(), 1, 1)).ToList();
        using var store = TrialStores.Open(storeUrl);
        store.CreateSweep(new SweepDefinition("term", SpaceKind.AnyNetXA, new TrialSettings()) { MaxAttempts = 3 }, models);
        // each simulated trial takes 10 minutes: only a handled signal ends the worker in time
        using var worker = ChildProcess.Start(["sweep", "run", "term", "--store", storeUrl, "--simulate", "600000"]);
        var clock = Stopwatch.StartNew();
        TrialRecord? held = null;
        while (held is null && clock.Elapsed < TimeSpan.FromSeconds(60) && !worker.HasExited)
        {
            held = store.Trials("term").FirstOrDefault(t => t.Status == TrialStatus.Running);
            if (held is null) Thread.Sleep(50);
        }
        Assert.NotNull(held);
        Process.Start("kill", $"-TERM {worker.Id}")!.WaitForExit();
        Assert.True(worker.WaitForExit(60_000), "the worker did not stop after SIGTERM");
        var output = worker.StandardOutput.ReadToEnd();
        Assert.Equal(0, worker.ExitCode);
        Assert.Contains("interrupted; handed back", output);
        var trial = store.Trials("term").Single(t => t.Id == held!.Id);
        Assert.Equal(TrialStatus.Pending, trial.Status);
        Assert.Contains("interrupted: the worker was stopped", trial.Message);
        Assert.Equal(0, trial.Attempts);
    }
}
