using System.Collections.Concurrent;
using NetBlocks.DesignSpace;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>Every trial of an in-process sweep runs under an execution context of its own, with the requested threads.</summary>
public sealed class SweepTrialContextTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-sweep-context-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>What a trial saw: the context it was given, the one in force on its thread, and its thread count.</summary>
    private sealed record Seen(long Trial, ExecutionContext Given, ExecutionContext InForce, int Threads);

    private sealed class RecordingRunner(ConcurrentBag<Seen> seen) : ITrialRunner
    {
        public TrialResult Run(TrialClaim claim, SweepDefinition sweep, ExecutionContext context, CancellationToken cancel)
        {
            seen.Add(new Seen(claim.Id, context, ExecutionContext.Current, context.Threads));
            Thread.Sleep(20); // two workers' trials overlap
            return new TrialResult(0.5, 0.02, []);
        }
    }

    [Fact]
    public void Each_trial_gets_its_own_context_with_the_requested_threads_in_force_and_disposed_after()
    {
        using var store = new SqliteTrialStore(Path.Combine(_dir, "sweeps.db"));
        var models = Enumerable.Range(0, 6).Select(i => new SampledModel(i, $"anynet:stem=16,1x{8 * (i + 1)}",
            new Dictionary<string, double> { ["w1"] = 8 * (i + 1), ["d1"] = 1 }, 1000 + i, 50_000 + i)).ToList();
        store.CreateSweep(new SweepDefinition("ctx", SpaceKind.AnyNetXA, new TrialSettings { Epochs = 1, Resize = 16 }), models);
        var seen = new ConcurrentBag<Seen>();

        var summary = new SweepRunner(store, new RecordingRunner(seen)).Run("ctx",
            new SweepRunOptions { Workers = 2, Threads = 3, Lease = TimeSpan.FromMinutes(10) });

        Assert.Equal(6, summary.Completed);
        Assert.Equal(6, seen.Count);
        Assert.All(seen, s =>
        {
            Assert.Equal(3, s.Threads);
            Assert.Same(s.Given, s.InForce);
            Assert.NotSame(ExecutionContext.Default, s.Given);
            Assert.Throws<ObjectDisposedException>(() => s.Given.Enter()); // disposed when its trial ended
        });
        Assert.Equal(6, seen.Select(s => s.Given).Distinct().Count());
        Assert.Equal(6, seen.Select(s => s.Trial).Distinct().Count());
    }
}
