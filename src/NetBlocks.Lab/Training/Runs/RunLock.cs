namespace NetBlocks.Training.Runs;

/// <summary>
/// One process trains a run at a time: an exclusive lock on the run folder's <c>.lock</c> file, held while the run
/// trains. The operating system drops the lock when the process ends, however it ends (kill -9 included), so a killed
/// run can be resumed at once and a live one is never trained twice.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _file;

    private RunLock(FileStream file) => _file = file;

    /// <summary>Takes the run's lock, or returns null when another process (or another lock in this one) holds it.</summary>
    /// <exception cref="IOException">the run folder does not exist or the lock file cannot be created.</exception>
    public static RunLock? TryAcquire(string runDirectory)
    {
        var path = Path.Combine(runDirectory, FileName);
        if (!Directory.Exists(runDirectory))
            throw new DirectoryNotFoundException($"run folder {runDirectory} does not exist (deleted or moved?)");
        FileStream file;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock on Unix, a share lock on Windows)
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
        return new RunLock(file);
    }

    /// <summary>
    /// Whether a process trains the run in <paramref name="runDirectory"/> now: its lock file exists and is locked.
    /// Creates nothing (a run folder written before runs were locked has no lock file: no process holds it).
    /// </summary>
    public static bool IsHeld(string runDirectory)
    {
        var path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException) { return false; }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// The run as it stands: one recorded as running whose folder no process holds ended without saying so (kill -9, the
    /// out-of-memory killer, a lost machine) and is shown as interrupted, with how to continue it.
    /// </summary>
    public static RunSummary Observe(RunSummary run, string runDirectory) =>
        run.Status == RunStatus.Running && !IsHeld(runDirectory)
            ? run with
            {
                Status = RunStatus.Interrupted,
                Message = $"recorded as running, but no process trains it: it ended without recording why (killed?); " +
                          $"`netblocks train {run.Model} --resume {run.Id}` continues it from its last checkpoint",
            }
            : run;

    public void Dispose() => _file.Dispose();
}
