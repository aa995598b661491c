using NetBlocks.Cuda;
using NetBlocks.DesignSpace;

namespace NetBlocks.Cli.Commands;

/// <summary>
/// `sweep run --device cuda`: a trial runner whose trials first make their worker's CUDA device the current one on the
/// worker's thread. A CUDA context is current per thread, and the devices were opened on the command's thread, while
/// each worker trains on a thread of its own; binding is one thread-local check once it has been done.
/// </summary>
internal sealed class DeviceBoundTrialRunner(ITrialRunner inner, IReadOnlyList<CudaBackend> backends) : ITrialRunner
{
    public void Prepare(SweepDefinition sweep) => inner.Prepare(sweep);

    public TrialResult Run(TrialClaim claim, SweepDefinition sweep, ExecutionContext context, CancellationToken cancel)
    {
        backends.FirstOrDefault(b => b.Device == context.Device)?.Context.Accelerator.Bind();
        return inner.Run(claim, sweep, context, cancel);
    }
}
