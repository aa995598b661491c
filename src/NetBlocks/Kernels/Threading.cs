using System.Runtime.ExceptionServices;

namespace NetBlocks.Kernels;

/// <summary>
/// A loop body for <see cref="Threading.For{TBody}(int, ref TBody)"/>. Being a struct that the pool calls
/// through a generic, it costs no delegate, no closure and no allocation per call.
/// <see cref="Invoke"/> runs concurrently on several threads, so it must only read shared state
/// (or write disjoint parts of it).
/// </summary>
public interface IParallelBody
{
    void Invoke(int index);
}

/// <summary>
/// The one place that decides how many threads kernels use. Kernels split work in coarse chunks
/// through <see cref="For"/>; nothing creates a thread per call: the work runs on a persistent pool of
/// <c>Threads - 1</c> background workers plus the calling thread.
/// </summary>
public static class Threading
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Number of threads kernels may use (default: the number of cores). At least 1.</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "threads must be at least 1");
    }

    /// <summary>Runs body(i) for i in [0, count) on up to <see cref="Threads"/> threads; returns when all are done.</summary>
    public static void For(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var wrapper = new DelegateBody(body);
        For(count, ref wrapper, _threads);
    }

    /// <summary>
    /// Runs body.Invoke(i) for i in [0, count) on up to <see cref="Threads"/> threads; returns when all are done.
    /// Allocation-free. Items are handed out one at a time, so make each item a coarse chunk of work.
    /// </summary>
    public static void For<TBody>(int count, ref TBody body) where TBody : struct, IParallelBody
        => For(count, ref body, _threads);

    /// <summary>As <see cref="For{TBody}(int, ref TBody)"/> with an explicit thread count (tests, kernels that know better).</summary>
    public static void For<TBody>(int count, ref TBody body, int threads) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        int helpers = Math.Min(threads, count) - 1;
        // The pool serves one parallel loop at a time. A nested call (a body that itself calls For) or a
        // call from another thread while the pool is busy runs inline on its own thread: never a deadlock,
        // never oversubscription.
        if (helpers <= 0 || !Pool.TryEnter())
        {
            for (int i = 0; i < count; i++) body.Invoke(i);
            return;
        }
        try
        {
            Pool.Run(count, helpers, ref body);
        }
        finally
        {
            Pool.Exit();
        }
    }

    private readonly struct DelegateBody(Action<int> body) : IParallelBody
    {
        public void Invoke(int index) => body(index);
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
        // One instance per body type; only touched while the pool is held, so a static cache is safe.
        public static Job<TBody>? Cached;
        public TBody Body;

        public override void RunItems()
        {
            int count = Count;
            int i;
            while ((i = Interlocked.Increment(ref Next) - 1) < count)
                Body.Invoke(i);
        }
    }

    private sealed class Worker
    {
        public Job? Job;
        public int Generation;
        public int Sleeping;
        public readonly SemaphoreSlim Wake = new(0);
    }

    private static class Pool
    {
        private static int _busy;
        private static Worker[] _workers = [];

        // How long an idle worker spins waiting for the next loop before it blocks. Kernels are usually
        // called back to back, and waking a blocked thread costs tens of microseconds.
        private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 10_000; // 100 µs

        public static bool TryEnter() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;

        public static void Exit() => Volatile.Write(ref _busy, 0);

        public static void Run<TBody>(int count, int helpers, ref TBody body) where TBody : struct, IParallelBody
        {
            EnsureWorkers(helpers);
            var job = Job<TBody>.Cached ??= new Job<TBody>();
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
            error?.Throw();
        }

        private static void EnsureWorkers(int needed)
        {
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
            _workers = grown;
        }

        private static void WorkerLoop(Worker worker)
        {
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
    }
}
