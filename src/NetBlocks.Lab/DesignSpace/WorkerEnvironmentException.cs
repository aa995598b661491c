namespace NetBlocks.DesignSpace;

/// <summary>
/// A sweep worker cannot train at all: its data is missing or corrupt, it ran out of memory, it cannot write its scratch
/// files. Not the trial's fault, so it never counts as one of the trial's attempts: the worker hands the trial back and
/// stops (and `netblocks sweep run` exits non-zero with this message). Every other error of a trial is the trial's own
/// (the model cannot be built or trained) and counts an attempt.
/// </summary>
public sealed class WorkerEnvironmentException(string message, Exception? inner = null) : InvalidOperationException(message, inner)
{
    /// <summary>
    /// Whether <paramref name="e"/>, thrown while training a trial, is the worker's environment failing: this exception,
    /// running out of memory, or input/output and permission errors (data files, checkpoints, scratch space).
    /// </summary>
    public static bool IsEnvironmental(Exception e) =>
        e is WorkerEnvironmentException or OutOfMemoryException or IOException or UnauthorizedAccessException;

    /// <summary>What went wrong, with what to do about running out of memory.</summary>
    public static string Describe(Exception e) => e switch
    {
        OutOfMemoryException =>
            $"out of memory ({e.Message}); run fewer workers on this machine (--workers) or give it more memory",
        _ => e.Message,
    };
}
