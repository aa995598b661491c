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
/// How kernels run a loop in parallel. The thread count and the threads themselves belong to the
/// <see cref="ExecutionContext"/> in force on the calling thread (<see cref="ExecutionContext.Current"/>): kernels split
/// work in coarse chunks through <see cref="For"/>, and the chunks run on that context's <see cref="WorkerPool"/>
/// (<c>Threads - 1</c> background workers plus the calling thread). Nothing creates a thread per call, and two contexts
/// on two threads run their loops on their own workers, independently.
/// </summary>
public static class Threading
{
    /// <summary>Runs body(i) for i in [0, count) on up to the current context's thread count; returns when all are done.</summary>
    public static void For(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var wrapper = new DelegateBody(body);
        var context = ExecutionContext.Current;
        context.Workers.For(count, ref wrapper, context.Threads);
    }

    /// <summary>
    /// Runs body.Invoke(i) for i in [0, count) on up to the current context's thread count; returns when all are done.
    /// Allocation-free. Items are handed out one at a time, so make each item a coarse chunk of work.
    /// </summary>
    public static void For<TBody>(int count, ref TBody body) where TBody : struct, IParallelBody
    {
        var context = ExecutionContext.Current;
        context.Workers.For(count, ref body, context.Threads);
    }

    /// <summary>
    /// As <see cref="For{TBody}(int, ref TBody)"/> with an explicit thread count (tests, kernels that know better), on
    /// the current context's workers.
    /// </summary>
    public static void For<TBody>(int count, ref TBody body, int threads) where TBody : struct, IParallelBody
        => ExecutionContext.Current.Workers.For(count, ref body, threads);

    private readonly struct DelegateBody(Action<int> body) : IParallelBody
    {
        public void Invoke(int index) => body(index);
    }
}
