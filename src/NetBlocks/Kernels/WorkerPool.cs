using System.Runtime.ExceptionServices;

namespace NetBlocks.Kernels;

/// <summary>
/// The threads of one <see cref="ExecutionContext"/>: persistent background workers that run the items of one parallel
/// loop at a time together with the calling thread. Workers are started when a loop first needs them and stay, spinning
/// briefly and then sleeping between loops, until the context is disposed. A worker runs with its context in force
/// (<see cref="ExecutionContext.Current"/>), so what a loop body reads from the context is the caller's.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly ExecutionContext _owner;
    private int _busy;
    private int _disposed;
    private Worker[] _workers = [];

    // How long an idle worker spins waiting for the next loop before it blocks. Kernels are usually
    // called back to back, and waking a blocked thread costs tens of microseconds.
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 10_000; // 100 µs

    public WorkerPool(ExecutionContext owner) => _owner = owner;

    /// <summary>Workers started so far (they are started on demand).</summary>
    public int WorkerCount => Volatile.Read(ref _workers).Length;

    /// <summary>Runs body.Invoke(i) for i in [0, count) on up to <paramref name="threads"/> threads (the caller included).</summary>
    public void For<TBody>(int count, ref TBody body, int threads) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        int helpers = Math.Min(threads, count) - 1;
        // The pool serves one parallel loop at a time. A nested call (a body that itself calls For) or a
        // call from another thread while the pool is busy runs inline on its own thread: never a deadlock,
        // never oversubscription. So does a call after the context was disposed.
        if (helpers <= 0 || !TryEnter())
        {
            for (int i = 0; i < count; i++) body.Invoke(i);
            return;
        }
        try
        {
            Run(count, helpers, ref body);
        }
        finally
        {
            Exit();
        }
    }

    private bool TryEnter() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;

    private void Exit() => Volatile.Write(ref _busy, 0);

    /// <summary>Stops the workers once no loop runs; later loops run inline on their calling thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var spin = new SpinWait();
        while (!TryEnter()) spin.SpinOnce(sleep1Threshold: -1);
        // _busy stays 1 from here on: every later loop runs inline
        foreach (var worker in _workers)
        {
            Volatile.Write(ref worker.Stop, true);
            Interlocked.Increment(ref worker.Generation);
            if (Interlocked.Exchange(ref worker.Sleeping, 0) == 1)
                worker.Wake.Release();
        }
    }

    private void Run<TBody>(int count, int helpers, ref TBody body) where TBody : struct, IParallelBody
    {
        EnsureWorkers(helpers);
        var job = Job<TBody>.Take();
        job.Body = body;
        job.Count = count;
        job.Next = 0;
        job.Error = null;
        job.Open();
        var workers = _workers;
        for (int w = 0; w < helpers; w++)
        {
            var worker = workers[w];
            worker.Job = job;
            Interlocked.Increment(ref worker.Generation); // full fence: publishes the job
            if (Interlocked.Exchange(ref worker.Sleeping, 0) == 1)
                worker.Wake.Release();
        }

        try
        {
            job.RunItems();
        }
        catch (Exception e)
        {
            job.Fail(e);
        }
        job.CloseAndWait();

        job.Body = default; // drop references held by the body
        var error = job.Error;
        job.Error = null;
        Job<TBody>.Give(job);
        error?.Throw();
    }

    private void EnsureWorkers(int needed)
    {
        // only called while the pool is held, so never concurrently
        if (_workers.Length >= needed) return;
        var grown = new Worker[needed];
        Array.Copy(_workers, grown, _workers.Length);
        for (int i = _workers.Length; i < needed; i++)
        {
            var worker = new Worker();
            grown[i] = worker;
            var thread = new Thread(() => WorkerLoop(worker), maxStackSize: 1 << 20)
            {
                IsBackground = true,
                Name = $"NetBlocks worker {i + 1}",
            };
            thread.Start();
        }
        Volatile.Write(ref _workers, grown);
    }

    private void WorkerLoop(Worker worker)
    {
        ExecutionContext.BindWorkerThread(_owner);
        int seen = 0;
        while (true)
        {
            if (Volatile.Read(ref worker.Generation) == seen)
            {
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                while (Volatile.Read(ref worker.Generation) == seen)
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
                    {
                        Thread.SpinWait(16);
                        continue;
                    }
                    // Announce that we sleep, then re-check: the publisher increments Generation and
                    // then takes the Sleeping flag, so either it sees our flag and releases us, or we
                    // see its new generation.
                    Interlocked.Exchange(ref worker.Sleeping, 1);
                    if (Volatile.Read(ref worker.Generation) == seen)
                        worker.Wake.Wait();
                    else if (Interlocked.Exchange(ref worker.Sleeping, 0) == 0)
                        worker.Wake.Wait(); // the publisher took the flag and will release (or has released) us
                    deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                }
            }
            seen = Volatile.Read(ref worker.Generation);
            if (Volatile.Read(ref worker.Stop)) return;
            var job = worker.Job!;
            if (!job.TryJoin()) continue; // the caller already finished it
            try
            {
                job.RunItems();
            }
            catch (Exception e)
            {
                job.Fail(e);
            }
            job.Leave();
        }
    }

    private sealed class Worker
    {
        public Job? Job;
        public int Generation;
        public int Sleeping;
        public bool Stop;
        public readonly SemaphoreSlim Wake = new(0);
    }

    private abstract class Job
    {
        private const int Closed = 1 << 30;

        public int Count;
        public int Next;
        public ExceptionDispatchInfo? Error;

        // Closed bit | number of helpers inside. A helper that wakes after the caller has closed the job
        // does not join it, so the caller never waits for a thread that the OS has not scheduled yet.
        private int _state;

        public abstract void RunItems();

        public void Open() => Volatile.Write(ref _state, 0);

        public bool TryJoin()
        {
            int s = Volatile.Read(ref _state);
            while ((s & Closed) == 0)
            {
                int seen = Interlocked.CompareExchange(ref _state, s + 1, s);
                if (seen == s) return true;
                s = seen;
            }
            return false;
        }

        public void Leave() => Interlocked.Decrement(ref _state);

        /// <summary>Closes the job to late helpers and waits for those inside to finish their items.</summary>
        public void CloseAndWait()
        {
            if (Interlocked.Or(ref _state, Closed) == 0) return;
            var spin = new SpinWait();
            while (Volatile.Read(ref _state) != Closed)
                spin.SpinOnce(sleep1Threshold: -1);
        }

        public void Fail(Exception e)
        {
            Interlocked.CompareExchange(ref Error, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref Next, int.MaxValue / 2); // stop handing out items
        }
    }

    private sealed class Job<TBody> : Job where TBody : struct, IParallelBody
    {
        // One cached instance per body type and calling thread: a thread runs one loop at a time on a pool, but
        // pools of different contexts may run the same body type at once, so the cache cannot be process-wide. A
        // thread that starts a loop of another context's pool from inside a body finds the cache taken and allocates.
        [ThreadStatic] private static Job<TBody>? t_cached;
        public TBody Body;

        public static Job<TBody> Take()
        {
            var job = t_cached;
            if (job is null) return new Job<TBody>();
            t_cached = null;
            return job;
        }

        public static void Give(Job<TBody> job) => t_cached = job;

        public override void RunItems()
        {
            int count = Count;
            int i;
            while ((i = Interlocked.Increment(ref Next) - 1) < count)
                Body.Invoke(i);
        }
    }
}
