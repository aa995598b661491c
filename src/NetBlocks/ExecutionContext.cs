using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks;

/// <summary>
/// Where and how the engine runs: the device, the kernels' thread count and their threads, the pool tensors take their
/// buffers from, the kernel policy and the op profile. One object, made by the caller (the CLI from its options, a
/// sweep per trial, a test) and put in force on a thread with <see cref="Enter"/>; everything below reads
/// <see cref="Current"/> instead of process-wide settings, so two contexts in force on two threads run independently:
/// their own thread counts, their own worker threads, policies and profiles.
/// <para>
/// <see cref="Current"/> is per thread. A context's worker threads run with it in force, so what a kernel's loop body
/// reads on a worker is its caller's context. Threads nobody entered a context on (tests, data-loading threads) see
/// <see cref="Default"/>: all cores, the measured policy, one shared pool.
/// </para>
/// <para>
/// Thread counts change the partition of some reductions, so results are bit-identical for a given thread count; a
/// context's count is fixed when it is made.
/// </para>
/// </summary>
public sealed class ExecutionContext : IDisposable
{
    [ThreadStatic] private static ExecutionContext? t_current;

    /// <summary>The context of threads that did not enter one: one thread per core, the default policy, a shared pool, not profiling. Never disposed.</summary>
    public static ExecutionContext Default { get; } = new(Environment.ProcessorCount, isDefault: true);

    /// <summary>The context in force on this thread: the innermost one entered, else <see cref="Default"/>.</summary>
    public static ExecutionContext Current => t_current ?? Default;

    private readonly bool _isDefault;
    private int _disposed;

    /// <param name="threads">Threads the kernels use, the calling thread included: at least 1, or 0 for one per core.</param>
    /// <param name="policy">Kernel choices and block sizes (default: <see cref="KernelPolicy.Default"/>).</param>
    /// <param name="pool">Where tensors take their buffers (default: a new pool of this context's own).</param>
    /// <param name="device">Where the tensors of a run live (its model, its batches): the CPU, or a device whose backend is
    /// registered (cuda:N, <see cref="Backends.Backend.Register"/>). The CPU kernels use <paramref name="threads"/> either way.</param>
    /// <exception cref="ArgumentOutOfRangeException">a negative thread count.</exception>
    /// <exception cref="ArgumentException">a device other than the CPU.</exception>
    public ExecutionContext(int threads = 0, KernelPolicy? policy = null, TensorPool? pool = null, Device? device = null)
        : this(threads, isDefault: false, policy, pool, device)
    {
    }

    private ExecutionContext(int threads, bool isDefault, KernelPolicy? policy = null, TensorPool? pool = null, Device? device = null)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1 (or 0 for one per core)");
        device ??= Device.Cpu;
        if (!device.IsCpu && (device.IsMeta || !Backends.Backend.IsAvailable(device)))
            throw new ArgumentException($"an execution context runs on the cpu or a registered device; no backend computes on device {device}", nameof(device));
        Device = device;
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        Policy = policy ?? KernelPolicy.Default;
        Pool = pool ?? new TensorPool();
        Profiler = new OpProfile();
        Workers = new WorkerPool(this);
        _isDefault = isDefault;
    }

    /// <summary>The device a run's tensors live on (the CPU unless the context was made for a registered device).</summary>
    public Device Device { get; }

    /// <summary>Threads the kernels use, the calling thread included (at least 1).</summary>
    public int Threads { get; }

    /// <summary>Kernel choices and block sizes.</summary>
    public KernelPolicy Policy { get; }

    /// <summary>The pool new tensors take their buffers from while this context is in force.</summary>
    public TensorPool Pool { get; }

    /// <summary>The op times recorded while this context is in force and profiling (off until enabled).</summary>
    public OpProfile Profiler { get; }

    /// <summary>This context's worker threads (started when a parallel loop first needs them).</summary>
    internal WorkerPool Workers { get; }

    /// <summary>
    /// Puts this context in force on the calling thread until the returned scope is disposed (then the one before it is
    /// again): <c>using (context.Enter()) { ... }</c>. Scopes nest; dispose them in reverse order, on the same thread.
    /// </summary>
    /// <exception cref="ObjectDisposedException">the context was disposed.</exception>
    public Scope Enter()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var previous = t_current;
        t_current = this;
        return new Scope(this, previous);
    }

    /// <summary>A worker thread of this context's pool runs with it in force for its whole life.</summary>
    internal static void BindWorkerThread(ExecutionContext owner) => t_current = owner;

    /// <summary>Stops this context's worker threads (after a loop that is running). Loops still run on it afterwards run on their calling thread.</summary>
    /// <exception cref="InvalidOperationException">the context is <see cref="Default"/>.</exception>
    public void Dispose()
    {
        if (_isDefault) throw new InvalidOperationException("the default execution context lives as long as the process; dispose only contexts you made");
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Workers.Dispose();
    }

    /// <summary>The time a context is in force on a thread; disposing it puts the previous one back.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly ExecutionContext? _context;
        private readonly ExecutionContext? _previous;

        internal Scope(ExecutionContext context, ExecutionContext? previous)
        {
            _context = context;
            _previous = previous;
        }

        /// <exception cref="InvalidOperationException">another context entered later is still in force (scopes disposed out of order or on another thread).</exception>
        public void Dispose()
        {
            if (_context is null) return;
            if (!ReferenceEquals(t_current, _context))
                throw new InvalidOperationException("this execution context is not the one in force on this thread: dispose the scopes of Enter in reverse order, on the thread that entered them");
            t_current = _previous;
        }
    }

    public override string ToString() => $"{Device}, {Threads} thread(s)";
}
