using System.Globalization;
using NetBlocks.Tensors;

namespace NetBlocks.DesignSpace;

/// <summary>How `netblocks sweep run` works through a sweep.</summary>
public sealed record SweepRunOptions
{
    /// <summary>Worker threads in this process.</summary>
    public int Workers { get; init; } = 1;
    /// <summary>Kernel threads per trial (each trial has a context of its own); 0 = all cores with one worker, 1 with several (see <see cref="SweepRunner"/>).</summary>
    public int Threads { get; init; }
    /// <summary>How long a claim lives without a heartbeat; heartbeats come every third of it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Stop after this many trials (0 = until the sweep is finished).</summary>
    public int MaxTrials { get; init; }
    /// <summary>
    /// The device each worker trains on, worker i (from 1) on <c>Devices[i − 1]</c>: one per worker, each a device whose
    /// backend is registered (the caller opens them); null = every worker on the CPU.
    /// </summary>
    public IReadOnlyList<Device>? Devices { get; init; }

    /// <summary>Worker <paramref name="index"/>'s device (from 1).</summary>
    internal Device DeviceOf(int index) => Devices is { } d ? d[index - 1] : Device.Cpu;
}

/// <summary>
/// What one `sweep run` did: trials completed (of them, diverged: recorded with chance-level error), failed for good,
/// given back to retry after an error, lost (the lease expired and another worker took over), and handed back without
/// counting an attempt (the worker was stopped).
/// </summary>
public sealed record SweepRunSummary(int Completed, int Diverged, int Failed, int Retried, int Lost, int HandedBack, SweepCounts Counts, TimeSpan Elapsed)
{
    /// <summary>The line `sweep run` ends with: this run's counts, the sweep's, and how to re-queue failed trials if any.</summary>
    public string Describe(string sweepName) =>
        string.Create(CultureInfo.InvariantCulture,
            $"this run: {Completed} completed, {Retried} to retry, {Failed} failed, {Lost} lost claims, {HandedBack} handed back, {Diverged} diverged (chance-level error) in {Elapsed.TotalSeconds:F1} s; ") +
        $"sweep: {Counts.Done} done, {Counts.Failed} failed, {Counts.Pending} pending, {Counts.Running} running" +
        (Counts.Failed > 0 ? $"; re-queue the failed ones with `netblocks sweep retry {sweepName}`" : "");
}

/// <summary>
/// Workers that claim trials from the store until none is left. Each worker: claim → heartbeat every lease/3 while
/// training → complete (or fail: the trial goes back to pending until its attempts are used up). When nothing is
/// claimable but other workers (anywhere) still hold trials, a worker waits and polls: if one of them dies its lease
/// expires and this worker takes the trial over, so a sweep finishes as long as one worker lives.
/// <para>Whose fault an error is decides what happens to the trial. The runner checks (<see cref="ITrialRunner.Prepare"/>)
/// that this process can train at all (its data, its scratch space) before it claims anything. An error of the worker's
/// environment during a trial (<see cref="WorkerEnvironmentException.IsEnvironmental"/>: out of memory, input/output)
/// hands the trial back without counting an attempt and stops every worker of the process, and <see cref="Run"/> throws
/// a <see cref="WorkerEnvironmentException"/>; a stopped run (cancellation: Ctrl+C, SIGTERM) hands its trials back the
/// same way. Only the trial's own errors count attempts.</para>
/// <para>Threads: every trial runs under an <see cref="ExecutionContext"/> of its own, made for it and disposed after it,
/// with <see cref="SweepRunOptions.Threads"/> kernel threads of its own, so W workers with k threads each use W·k cores.
/// Automatic (0): all cores with one worker; one thread per trial with several (W single-threaded trials in parallel
/// use W cores with no contention).</para>
/// <para>Devices: a worker trains its trials on its own device (<see cref="SweepRunOptions.Devices"/>: one GPU per worker,
/// so one trial per GPU at a time), and its name in the store ends with that device (<c>host/pid/w2@cuda:1</c>), so
/// every trial records where it ran; CPU workers keep their plain names.</para>
/// </summary>
public sealed class SweepRunner(ITrialStore store, ITrialRunner runner, TextWriter? log = null)
{
    private readonly TextWriter log = TextWriter.Synchronized(log ?? TextWriter.Null);

    /// <exception cref="WorkerEnvironmentException">this process cannot train (before any claim, or during a trial, which was handed back).</exception>
    /// <exception cref="KeyNotFoundException">no such sweep.</exception>
    /// <exception cref="ArgumentException">bad options.</exception>
    public SweepRunSummary Run(string sweepName, SweepRunOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Workers < 1) throw new ArgumentException($"--workers must be at least 1, got {options.Workers}");
        if (options.Threads < 0) throw new ArgumentException($"--threads must be at least 1 (or 0 for automatic), got {options.Threads}");
        if (options.Lease < TimeSpan.FromMilliseconds(300)) throw new ArgumentException($"the lease must be at least 0.3 s, got {options.Lease.TotalSeconds} s");
        if (options.Devices is { } devices && devices.Count != options.Workers)
            throw new ArgumentException($"{options.Workers} worker(s) need one device each, got {devices.Count} ({string.Join(", ", devices)})");
        var sweep = store.GetSweep(sweepName) ?? throw NoSuchSweep(store, sweepName);
        try { runner.Prepare(sweep); }
        catch (WorkerEnvironmentException e)
        {
            throw new WorkerEnvironmentException($"this worker cannot train sweep {sweepName}, so it claimed no trial: {e.Message}", e);
        }
        int threads = options.Threads > 0 ? options.Threads : options.Workers == 1 ? Environment.ProcessorCount : 1;
        var started = DateTime.UtcNow;
        int completed = 0, diverged = 0, failed = 0, retried = 0, lost = 0, handedBack = 0, taken = 0;
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(options.Lease.TotalMilliseconds / 4, 100, 5000));
        var counts0 = store.Counts(sweepName);
        log.WriteLine($"sweep {sweepName} ({DesignSpaces.Name(sweep.Space)}): {counts0.Done} done, {counts0.Pending} pending, {counts0.Running} running elsewhere, " +
                      $"{counts0.Failed} failed; {options.Workers} worker(s) × {threads} thread(s)" +
                      (options.Devices is { } on && on.Any(d => !d.IsCpu) ? $" on {string.Join(", ", on)}" : "") + $", lease {options.Lease.TotalSeconds:0.#} s, store {store.Location}");

        // Stops every worker of this process: the caller's cancellation, or one worker finding that the environment fails.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        WorkerEnvironmentException? environment = null;

        void Worker(int index)
        {
            var device = options.DeviceOf(index);
            var worker = $"{Environment.MachineName}/{Environment.ProcessId}/w{index}" + (device.IsCpu ? "" : $"@{device}");
            while (!stop.IsCancellationRequested)
            {
                if (options.MaxTrials > 0 && Interlocked.Increment(ref taken) > options.MaxTrials) return;
                var claim = store.Claim(sweepName, worker, options.Lease);
                if (claim is null)
                {
                    if (options.MaxTrials > 0) Interlocked.Decrement(ref taken);
                    var c = store.Counts(sweepName);
                    if (c.Pending == 0 && c.Running == 0) return;
                    stop.Token.WaitHandle.WaitOne(poll); // others hold trials: take over any whose lease runs out
                    continue;
                }
                RunOne(claim);
            }

            void RunOne(TrialClaim claim)
            {
                using var lostClaim = new CancellationTokenSource();
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, lostClaim.Token);
                using var heartbeat = new Timer(_ =>
                {
                    try { if (!store.Heartbeat(claim, options.Lease)) lostClaim.Cancel(); }
                    catch (Exception e) when (e is IOException or InvalidOperationException) { log.WriteLine($"  {worker}: heartbeat failed ({e.Message}); retrying"); }
                    catch (ObjectDisposedException) { }
                }, null, options.Lease / 3, options.Lease / 3);
                string what = $"trial {claim.Index} (attempt {claim.Attempt}) {claim.Spec}";
                try
                {
                    TrialResult result;
                    using (var context = new ExecutionContext(threads, device: device))
                    using (context.Enter())
                        result = runner.Run(claim, sweep, context, linked.Token);
                    heartbeat.Change(Timeout.Infinite, Timeout.Infinite);
                    if (store.Complete(claim, result))
                    {
                        Interlocked.Increment(ref completed);
                        if (result.Diverged) Interlocked.Increment(ref diverged);
                        log.WriteLine($"  {what}: error {result.Error:F4} in {result.Seconds:F1} s" +
                                      (result.Diverged ? $" ({result.Divergence}: chance-level error)" : "") + $" [{worker}]");
                    }
                    else
                    {
                        Interlocked.Increment(ref lost);
                        log.WriteLine($"  {what}: finished but its claim had expired and was taken over; result discarded [{worker}]");
                    }
                }
                catch (OperationCanceledException) when (lostClaim.IsCancellationRequested)
                {
                    Interlocked.Increment(ref lost);
                    log.WriteLine($"  {what}: lost its claim (lease expired); stopped [{worker}]");
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    heartbeat.Change(Timeout.Infinite, Timeout.Infinite);
                    if (store.Release(claim, "interrupted: the worker was stopped; handed back without counting an attempt")) Interlocked.Increment(ref handedBack);
                    log.WriteLine($"  {what}: interrupted; handed back [{worker}]");
                }
                catch (Exception e) when (WorkerEnvironmentException.IsEnvironmental(e))
                {
                    heartbeat.Change(Timeout.Infinite, Timeout.Infinite);
                    var why = WorkerEnvironmentException.Describe(e);
                    bool released = store.Release(claim, $"handed back by {worker}, which cannot train: {why}");
                    if (released) Interlocked.Increment(ref handedBack);
                    Interlocked.CompareExchange(ref environment, new WorkerEnvironmentException(
                        $"worker {worker} cannot train: {why}; trial {claim.Index} ({claim.Spec}) " +
                        (released ? "was handed back without counting an attempt" : "had already been taken over by another worker") +
                        $". Fix this and run `netblocks sweep run {sweepName}` again", e), null);
                    log.WriteLine($"  {what}: this worker cannot train ({why}); handed back, stopping [{worker}]");
                    stop.Cancel();
                }
                catch (Exception e)
                {
                    heartbeat.Change(Timeout.Infinite, Timeout.Infinite);
                    var status = store.Fail(claim, $"{e.GetType().Name}: {e.Message}");
                    if (status == TrialStatus.Failed) Interlocked.Increment(ref failed); else Interlocked.Increment(ref retried);
                    log.WriteLine($"  {what}: {e.GetType().Name}: {e.Message} → {(status == TrialStatus.Failed ? "failed (no attempts left)" : "will be retried")} [{worker}]");
                }
            }
        }

        // A worker that cannot reach the store stops; the first such error ends the run once the others are done.
        Exception? crash = null;
        void Guarded(int i)
        {
            try { Worker(i); }
            catch (Exception e) { Interlocked.CompareExchange(ref crash, e, null); }
        }
        var workers = Enumerable.Range(1, options.Workers).Select(i => new Thread(() => Guarded(i)) { IsBackground = true, Name = $"sweep-worker-{i}" }).ToList();
        foreach (var t in workers) t.Start();
        foreach (var t in workers) t.Join();
        if (crash is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(crash);
        if (environment is not null) throw environment;
        var counts = store.Counts(sweepName);
        return new SweepRunSummary(completed, diverged, failed, retried, lost, handedBack, counts, DateTime.UtcNow - started);
    }

    public static KeyNotFoundException NoSuchSweep(ITrialStore store, string name)
    {
        var names = store.ListSweeps();
        return new KeyNotFoundException($"no sweep '{name}' in {store.Location}" +
            (names.Count == 0 ? "; create one with `netblocks sweep create NAME --space … --samples N`" : $" (sweeps: {string.Join(", ", names)})"));
    }
}
