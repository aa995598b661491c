using System.Collections.Concurrent;
using NetBlocks.DesignSpace;
using NetBlocks.Tests.Data;
using Npgsql;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>
/// The behaviour every trial store must have (claims, leases, retries, exactly-once results), run against SQLite and
/// PostgreSQL by the two subclasses below. Training is replaced by a fast fake where a test only needs the protocol.
/// </summary>
public abstract class TrialStoreContractTests : IDisposable
{
    /// <summary>Opens the store under test; every call opens a new connection to the same store (another "process").</summary>
    protected abstract ITrialStore Open();

    public abstract void Dispose();

    /// <summary>A lease no claim outlives by accident, however loaded the machine: tests that need one to expire use <see cref="Expiring"/>.</summary>
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    private static SweepDefinition Definition(string name, int maxAttempts = 3) =>
        new(name, SpaceKind.AnyNetXE, new TrialSettings { Epochs = 1, Resize = 16 }) { MaxAttempts = maxAttempts, Macs = new ValueRange(1000, 2e6) };

    private static List<SampledModel> Models(int n) =>
        [.. Enumerable.Range(0, n).Select(i => new SampledModel(i, $"anynet:stem=16,1x{8 * (i + 1)}", new Dictionary<string, double> { ["w1"] = 8 * (i + 1), ["d1"] = 1 }, 1000 + i, 50_000 + i))];

    private static string NewName() => "s-" + Guid.NewGuid().ToString("N")[..10];

    [StoreFact]
    public void Create_records_the_definition_and_pending_trials()
    {
        using var store = Open();
        var name = NewName();
        store.CreateSweep(Definition(name), Models(4));
        var def = store.GetSweep(name)!;
        Assert.Equal(SpaceKind.AnyNetXE, def.Space);
        Assert.Equal(16, def.Settings.Resize);
        Assert.Equal(new ValueRange(1000, 2e6), def.Macs);
        Assert.True(double.IsPositiveInfinity(def.Params.Max));
        var trials = store.Trials(name);
        Assert.Equal(4, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialStatus.Pending, t.Status));
        Assert.Equal("anynet:stem=16,1x24", trials[2].Spec);
        Assert.Equal(24, trials[2].Parameters["w1"]);
        Assert.Equal(50_002, trials[2].Macs);
        Assert.Contains(name, store.ListSweeps());
        Assert.Equal(new SweepCounts(4, 0, 0, 0), store.Counts(name));
        Assert.Null(store.GetSweep(NewName()));
    }

    [StoreFact]
    public void A_sweep_name_that_exists_is_refused_and_nothing_changes()
    {
        using var store = Open();
        var name = NewName();
        store.CreateSweep(Definition(name), Models(2));
        var e = Assert.Throws<SweepExistsException>(() => store.CreateSweep(Definition(name), Models(5)));
        Assert.Contains($"sweep '{name}' already exists", e.Message);
        Assert.Contains("choose another name", e.Message);
        Assert.Equal(2, store.Trials(name).Count);
    }

    [StoreFact]
    public void Claims_hand_out_trials_in_order_then_nothing()
    {
        using var store = Open();
        var name = NewName();
        store.CreateSweep(Definition(name), Models(3));
        var a = store.Claim(name, "w1", Long)!;
        var b = store.Claim(name, "w2", Long)!;
        var c = store.Claim(name, "w1", Long)!;
        Assert.Equal([0, 1, 2], new[] { a.Index, b.Index, c.Index });
        Assert.Equal(1, a.Attempt);
        Assert.Null(store.Claim(name, "w3", TimeSpan.FromSeconds(30)));
        Assert.Equal(new SweepCounts(0, 3, 0, 0), store.Counts(name));
    }

    [StoreFact]
    public void Concurrent_workers_on_separate_connections_never_claim_the_same_trial()
    {
        var name = NewName();
        using (var s = Open()) s.CreateSweep(Definition(name), Models(40));
        var claimed = new ConcurrentBag<long>();
        var threads = Enumerable.Range(0, 6).Select(w => new Thread(() =>
        {
            using var store = Open();
            while (store.Claim(name, $"w{w}", TimeSpan.FromMinutes(1)) is { } c) claimed.Add(c.Id);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(40, claimed.Count);
        Assert.Equal(40, claimed.Distinct().Count());
    }

    [StoreFact]
    public void A_result_is_recorded_once_and_only_by_the_claim_holder()
    {
        using var store = Open();
        var name = NewName();
        store.CreateSweep(Definition(name), Models(1));
        var claim = store.Claim(name, "w1", TimeSpan.FromMinutes(1))!;
        Assert.False(store.Complete(claim with { Worker = "intruder" }, new TrialResult(0.5, 1, [])));
        var curve = new List<NetBlocks.Training.EpochMetrics> { new(1, 1.2, 0.6, 1.1, 0.65, 3.5, 100) };
        Assert.True(store.Complete(claim, new TrialResult(0.35, 3.5, curve)));
        Assert.False(store.Complete(claim, new TrialResult(0.1, 1, [])));
        var t = Assert.Single(store.Trials(name));
        Assert.Equal(TrialStatus.Done, t.Status);
        Assert.Equal(0.35, t.Error);
        Assert.Equal(3.5, t.Seconds);
        Assert.Equal(0.65, Assert.Single(t.Curve).ValAccuracy);
        Assert.False(store.Heartbeat(claim, Long));
    }

    /// <summary>A lease of one millisecond: expired once a few milliseconds have passed, however loaded the machine is.</summary>
    private static readonly TimeSpan Expiring = TimeSpan.FromMilliseconds(1);

    /// <summary>Waits until a lease of <paramref name="lease"/> set before this call has run out. The wait is a lower bound, so a loaded machine only makes it longer, never wrong.</summary>
    private static void LetExpire(TimeSpan lease) => Thread.Sleep(lease + TimeSpan.FromMilliseconds(20));

    [StoreFact]
    public void An_expired_claim_is_taken_over_and_the_old_worker_can_no_longer_record()
    {
        using var store = Open();
        using var other = Open();
        var name = NewName();
        store.CreateSweep(Definition(name), Models(1));
        var first = store.Claim(name, "dead", Long)!;
        Assert.Null(other.Claim(name, "alive", Long)); // still leased
        Assert.True(store.Heartbeat(first, Expiring)); // the worker's last heartbeat: its lease now runs out at once
        LetExpire(Expiring);
        var second = other.Claim(name, "alive", TimeSpan.FromMinutes(1))!;
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(2, second.Attempt);
        Assert.False(store.Heartbeat(first, Long));
        Assert.False(store.Complete(first, new TrialResult(0.2, 1, [])));
        Assert.True(other.Complete(second, new TrialResult(0.3, 1, [])));
        var t = Assert.Single(other.Trials(name));
        Assert.Equal(0.3, t.Error);
        Assert.Equal("alive", t.Worker);
        Assert.Contains("lease of dead expired", t.Message);
    }

    [StoreFact]
    public void Errors_are_retried_until_the_attempts_are_used_then_the_trial_fails_with_the_message()
    {
        using var store = Open();
        var name = NewName();
        store.CreateSweep(Definition(name, maxAttempts: 2), Models(1));
        var c1 = store.Claim(name, "w", Long)!;
        Assert.Equal(TrialStatus.Pending, store.Fail(c1, "boom 1"));
        var c2 = store.Claim(name, "w", Long)!;
        Assert.Equal(TrialStatus.Failed, store.Fail(c2, "boom 2"));
        Assert.Null(store.Claim(name, "w", Long));
        Assert.Null(store.Fail(c2, "again"));
        var t = Assert.Single(store.Trials(name));
        Assert.Equal((TrialStatus.Failed, 2, "boom 2"), (t.Status, t.Attempts, t.Message));
        Assert.Equal(new SweepCounts(0, 0, 0, 1), store.Counts(name));
    }

    [StoreFact]
    public void A_trial_whose_workers_keep_dying_fails_after_its_last_attempt()
    {
        using var store = Open();
        var name = NewName();
        store.CreateSweep(Definition(name, maxAttempts: 1), Models(1));
        Assert.NotNull(store.Claim(name, "dies", Expiring));
        LetExpire(Expiring);
        Assert.Null(store.Claim(name, "next", Long));
        var t = Assert.Single(store.Trials(name));
        Assert.Equal(TrialStatus.Failed, t.Status);
        Assert.Contains("claim expired after attempt 1 of 1", t.Message);
    }

    [StoreFact]
    public void Several_runner_workers_finish_a_sweep_with_every_result_recorded_once()
    {
        var name = NewName();
        using var store = Open();
        store.CreateSweep(Definition(name, maxAttempts: 2), Models(9));
        var runs = new ConcurrentDictionary<long, int>();
        var runner = new FakeRunner((claim, cancel) =>
        {
            runs.AddOrUpdate(claim.Id, 1, (_, n) => n + 1);
            Thread.Sleep(30);
            if (claim.Index == 4 && claim.Attempt == 1) throw new InvalidOperationException("flaky once");
            if (claim.Index == 7) throw new InvalidOperationException("always broken");
            return new TrialResult(claim.Index / 10.0, 0.03, []);
        });
        var log = new StringWriter();
        // A lease far longer than any trial here, so that no claim expires however loaded the machine is.
        var summary = new SweepRunner(store, runner, log).Run(name, new SweepRunOptions { Workers = 3, Lease = Long });
        Assert.Equal(new SweepCounts(0, 0, 8, 1), summary.Counts);
        Assert.Equal(8, summary.Completed);
        Assert.Equal(1, summary.Failed);
        var trials = store.Trials(name);
        Assert.All(trials.Where(t => t.Index != 7), t => Assert.Equal(t.Index / 10.0, t.Error));
        Assert.Equal(2, trials[4].Attempts);
        Assert.Equal("InvalidOperationException: always broken", trials[7].Message);
        Assert.Contains("will be retried", log.ToString());
    }

    /// <summary>Creates a sweep of <paramref name="trials"/> pending trials in <paramref name="store"/>; returns its name.</summary>
    private static string NewSweep(ITrialStore store, int trials, int maxAttempts = 3)
    {
        var name = NewName();
        store.CreateSweep(Definition(name, maxAttempts), Models(trials));
        return name;
    }

    [StoreFact]
    public void A_diverged_result_is_done_with_chance_level_error_its_flag_and_its_reason()
    {
        using var store = Open();
        var name = NewSweep(store, 2);
        var claim = store.Claim(name, "w", Long)!;
        var history = new List<NetBlocks.Training.EpochMetrics> { new(1, 2.3, 0.1, 2.2, 0.12, 1, 100), new(2, 2.1, 0.2, double.PositiveInfinity, 0.1, 2, 100) };
        Assert.True(store.Complete(claim, TrialResult.Diverge(10, 2.5, history, "diverged: epoch 2 ended with validation loss Infinity")));
        var t = store.Trials(name)[0];
        Assert.Equal((TrialStatus.Done, true, 0.9), (t.Status, t.Diverged, t.Error!.Value));
        Assert.Equal("diverged: epoch 2 ended with validation loss Infinity", t.Message);
        Assert.Equal(1, Assert.Single(t.Curve).Epoch); // the finite epochs only
        var normal = store.Claim(name, "w", Long)!;
        Assert.True(store.Complete(normal, new TrialResult(0.3, 1, [])));
        Assert.False(store.Trials(name)[1].Diverged);
        Assert.Equal(new SweepCounts(0, 0, 2, 0), store.Counts(name));
    }

    [StoreFact]
    public void A_result_with_a_number_that_is_not_finite_is_refused_and_the_claim_stays()
    {
        using var store = Open();
        var name = NewSweep(store, 1);
        var claim = store.Claim(name, "w", Long)!;
        var nan = Assert.Throws<ArgumentException>(() => store.Complete(claim, new TrialResult(double.NaN, 1, [])));
        Assert.Equal("a trial's error must be a finite number in [0, 1], got NaN", nan.Message);
        var curve = Assert.Throws<ArgumentException>(() => store.Complete(claim,
            new TrialResult(0.5, 1, [new NetBlocks.Training.EpochMetrics(1, double.NaN, 0.1, 2.3, 0.5, 1, 10)])));
        Assert.StartsWith("epoch 1 of a trial's curve holds a number that is not finite", curve.Message);
        var t = Assert.Single(store.Trials(name));
        Assert.Equal((TrialStatus.Running, (double?)null), (t.Status, t.Error));
    }

    [StoreFact]
    public void Release_hands_a_trial_back_without_counting_the_attempt()
    {
        using var store = Open();
        var name = NewSweep(store, 1, maxAttempts: 1);
        var claim = store.Claim(name, "w", Long)!;
        Assert.False(store.Release(claim with { Worker = "intruder" }, "no"));
        Assert.True(store.Release(claim, "interrupted"));
        Assert.False(store.Release(claim, "twice"));
        var t = Assert.Single(store.Trials(name));
        Assert.Equal((TrialStatus.Pending, 0, "interrupted"), (t.Status, t.Attempts, t.Message));
        var again = store.Claim(name, "w2", Long)!; // its one attempt is still there
        Assert.Equal((claim.Id, 1), (again.Id, again.Attempt));
    }

    [StoreFact]
    public void Requeue_puts_the_failed_trials_back_with_their_attempts_reset()
    {
        using var store = Open();
        var name = NewSweep(store, 3, maxAttempts: 1);
        var a = store.Claim(name, "w", Long)!;
        var b = store.Claim(name, "w", Long)!;
        var c = store.Claim(name, "w", Long)!;
        Assert.Equal(TrialStatus.Failed, store.Fail(a, "boom"));
        Assert.True(store.Complete(b, new TrialResult(0.4, 1, [])));
        Assert.Equal(TrialStatus.Failed, store.Fail(c, "boom"));
        Assert.Equal(new SweepCounts(0, 0, 1, 2), store.Counts(name));
        Assert.Equal(2, store.Requeue(name));
        Assert.Equal(new SweepCounts(2, 0, 1, 0), store.Counts(name));
        Assert.All(store.Trials(name).Where(t => t.Status == TrialStatus.Pending), t => Assert.Equal(0, t.Attempts));
        Assert.Equal(1, store.Claim(name, "w", Long)!.Attempt);
        Assert.Equal(0, store.Requeue(name));
        Assert.Equal(0, store.Requeue(NewName()));
    }

    [StoreFact]
    public void A_worker_that_cannot_prepare_claims_no_trial()
    {
        using var store = Open();
        var name = NewSweep(store, 2);
        var runner = new FakeRunner((_, _) => throw new InvalidOperationException("never run"))
        {
            OnPrepare = () => throw new WorkerEnvironmentException("cannot read the training data: no such folder"),
        };
        var e = Assert.Throws<WorkerEnvironmentException>(() => new SweepRunner(store, runner).Run(name, new SweepRunOptions()));
        Assert.Equal($"this worker cannot train sweep {name}, so it claimed no trial: cannot read the training data: no such folder", e.Message);
        Assert.All(store.Trials(name), t => Assert.Equal((TrialStatus.Pending, 0), (t.Status, t.Attempts)));
    }

    [StoreFact]
    public void An_environment_error_in_a_trial_hands_it_back_uncounted_and_stops_the_worker()
    {
        using var store = Open();
        var name = NewSweep(store, 3);
        var runner = new FakeRunner((claim, _) => throw new IOException("No space left on device"));
        var e = Assert.Throws<WorkerEnvironmentException>(() => new SweepRunner(store, runner).Run(name, new SweepRunOptions { Lease = Long }));
        Assert.Matches("^worker .+/w1 cannot train: No space left on device; trial 0 \\(anynet:stem=16,1x8\\) was handed back without counting an attempt. " +
                       "Fix this and run `netblocks sweep run s-[0-9a-f]+` again$", e.Message);
        var trials = store.Trials(name);
        Assert.All(trials, t => Assert.Equal((TrialStatus.Pending, 0), (t.Status, t.Attempts))); // one claimed and handed back, none failed
        Assert.StartsWith("handed back by ", trials[0].Message);
        Assert.EndsWith(", which cannot train: No space left on device", trials[0].Message);
    }

    [StoreFact]
    public void Out_of_memory_in_one_worker_hands_back_every_trial_of_the_process_and_says_what_to_change()
    {
        using var store = Open();
        var name = NewSweep(store, 4);
        using var otherStarted = new ManualResetEventSlim();
        var runner = new FakeRunner((claim, cancel) =>
        {
            if (claim.Index == 1)
            {
                otherStarted.Set();
                cancel.WaitHandle.WaitOne(); // a long trial, stopped when the other worker runs out of memory
                throw new OperationCanceledException(cancel);
            }
            otherStarted.Wait(cancel);
            throw new OutOfMemoryException("Array dimensions exceeded supported range.");
        });
        var e = Assert.Throws<WorkerEnvironmentException>(() => new SweepRunner(store, runner).Run(name,
            new SweepRunOptions { Workers = 2, Lease = Long }));
        Assert.Contains("cannot train: out of memory (Array dimensions exceeded supported range.); run fewer workers on this machine (--workers) or give it more memory; trial 0 ", e.Message);
        var trials = store.Trials(name);
        Assert.All(trials, t => Assert.Equal((TrialStatus.Pending, 0), (t.Status, t.Attempts)));
        Assert.StartsWith("interrupted: the worker was stopped", trials[1].Message);
        Assert.Null(trials[2].Message); // never claimed: the workers stopped
    }

    [StoreFact]
    public void A_stopped_worker_hands_its_trial_back_without_counting_an_attempt()
    {
        using var store = Open();
        var name = NewSweep(store, 2, maxAttempts: 1);
        using var started = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var runner = new FakeRunner((_, cancel) =>
        {
            started.Set();
            cancel.WaitHandle.WaitOne();
            throw new OperationCanceledException(cancel);
        });
        var run = Task.Run(() => new SweepRunner(store, runner).Run(name, new SweepRunOptions { Lease = Long }, stop.Token));
        started.Wait();
        stop.Cancel(); // what Ctrl+C and SIGTERM do in `sweep run`
        var summary = run.GetAwaiter().GetResult();
        Assert.Equal((0, 0, 1), (summary.Completed, summary.Failed, summary.HandedBack));
        var t = store.Trials(name)[0];
        Assert.Equal((TrialStatus.Pending, 0), (t.Status, t.Attempts)); // with one attempt allowed, it can still be trained
        Assert.Equal(new SweepCounts(2, 0, 0, 0), store.Counts(name));
    }

    [StoreFact]
    public void A_runner_that_diverges_completes_the_trial_and_the_summary_counts_it()
    {
        using var store = Open();
        var name = NewSweep(store, 2);
        var runner = new FakeRunner((claim, _) => claim.Index == 0
            ? TrialResult.Diverge(10, 0.1, [], "diverged: the training loss became NaN or infinite at step 3")
            : new TrialResult(0.25, 0.1, []));
        var log = new StringWriter();
        var summary = new SweepRunner(store, runner, log).Run(name, new SweepRunOptions { Lease = Long });
        Assert.Equal((2, 1, 0), (summary.Completed, summary.Diverged, summary.Failed));
        Assert.Equal(new[] { (true, 0.9), (false, 0.25) }, store.Trials(name).Select(t => (t.Diverged, t.Error!.Value)));
        Assert.Contains("error 0.9000 in 0.1 s (diverged: the training loss became NaN or infinite at step 3: chance-level error)", log.ToString());
    }

    private sealed class FakeRunner(Func<TrialClaim, CancellationToken, TrialResult> run) : ITrialRunner
    {
        public Action? OnPrepare { get; init; }
        public void Prepare(SweepDefinition sweep) => OnPrepare?.Invoke();
        public TrialResult Run(TrialClaim claim, SweepDefinition sweep, ExecutionContext context, CancellationToken cancel) => run(claim, cancel);
    }
}

public sealed class SqliteTrialStoreTests : TrialStoreContractTests
{
    private readonly TempDir dir = new();
    protected override ITrialStore Open() => new SqliteTrialStore(dir["sweeps.db"]);
    public override void Dispose() => dir.Dispose();
}

/// <summary>Against a real PostgreSQL server: $NETBLOCKS_TEST_POSTGRES (CI starts one, see .ci/run); each test gets its own schema.</summary>
public sealed class PostgresTrialStoreTests : TrialStoreContractTests, IRequiresServer
{
    public const string Variable = "NETBLOCKS_TEST_POSTGRES";

    public static string? Url => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } u ? u : null;

    public static string? SkipReason => Url is null
        ? $"PostgreSQL store tests need a server: set {Variable}=postgres://user:pass@host:port/db (.ci/run starts one)"
        : null;

    private readonly string schema = "t_" + Guid.NewGuid().ToString("N")[..12];

    protected override ITrialStore Open() => new PostgresTrialStore(Url + "?schema=" + schema);

    public override void Dispose()
    {
        if (Url is null) return;
        using var source = NpgsqlDataSource.Create(PostgresTrialStore.ParseUrl(Url, out _));
        using var cmd = source.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        cmd.ExecuteNonQuery();
    }
}
