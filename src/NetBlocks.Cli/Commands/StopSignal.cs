using System.Runtime.InteropServices;

namespace NetBlocks.Cli.Commands;

/// <summary>
/// The one place where the command line turns a request to stop into a cancellation: Ctrl+C (SIGINT) and SIGTERM —
/// what `kill`, `timeout`, Kubernetes and SLURM send — both ask a long command (`train`, `sweep run`) to stop
/// cleanly after the current step: a checkpoint and the resume command, trials handed back. A second signal ends the
/// process at once (every file NetBlocks writes is written atomically).
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly TextWriter? _log;

    /// <param name="log">Where to say that the command is stopping (null: silently).</param>
    public StopSignal(TextWriter? log = null)
    {
        _log = log;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    /// <summary>Cancelled at the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested) return; // the second signal: the default action ends the process
        context.Cancel = true;
        _stop.Cancel();
        var name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "Ctrl+C";
        _log?.WriteLine($"\n{name}: stopping after this step ({name} again to quit at once)…");
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _stop.Dispose();
    }
}
