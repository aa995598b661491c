namespace NetBlocks.DesignSpace;

/// <summary>
/// Where sweeps and their trials live, shared by every worker (threads, processes, machines). A worker
/// <see cref="Claim"/>s a pending trial (or one whose lease expired: its worker died), renews the lease with
/// <see cref="Heartbeat"/> while it trains, and ends it with <see cref="Complete"/>, <see cref="Fail"/> (the trial's own
/// error: counts the attempt) or <see cref="Release"/> (the worker was stopped or cannot train: does not). The end calls
/// only succeed while the worker still holds the claim, so a trial's result is recorded exactly once even if a stalled
/// worker lost its claim and another one ran the trial again. Implementations are safe to call from several threads.
/// </summary>
public interface ITrialStore : IDisposable
{
    /// <summary>The store as users name it (a file path, or the PostgreSQL URL without the password).</summary>
    string Location { get; }

    /// <summary>Records the sweep and its trials (pending) in one transaction.</summary>
    /// <exception cref="SweepExistsException">a sweep of that name exists.</exception>
    void CreateSweep(SweepDefinition sweep, IReadOnlyList<SampledModel> trials);

    SweepDefinition? GetSweep(string name);

    IReadOnlyList<string> ListSweeps();

    /// <summary>
    /// Claims the first pending trial (by index), or the first whose lease expired, for <paramref name="worker"/> until now +
    /// <paramref name="lease"/>; counts an attempt. Expired trials that used up their attempts are marked failed first.
    /// Null when nothing is claimable now (trials may still be running elsewhere: see <see cref="Counts"/>).
    /// </summary>
    TrialClaim? Claim(string sweep, string worker, TimeSpan lease);

    /// <summary>Extends the lease; false when the worker no longer holds the claim (it expired and was taken).</summary>
    bool Heartbeat(TrialClaim claim, TimeSpan lease);

    /// <summary>
    /// Records the result and marks the trial done (a diverged result with its flag and reason); false (nothing recorded)
    /// when the claim was lost.
    /// </summary>
    /// <exception cref="ArgumentException">the result holds a number that is not finite, or an error outside [0, 1].</exception>
    bool Complete(TrialClaim claim, TrialResult result);

    /// <summary>Gives the trial back after an error: pending again while attempts remain, else failed with the message.
    /// Returns the new status, or null when the claim was lost.</summary>
    TrialStatus? Fail(TrialClaim claim, string message);

    /// <summary>
    /// Hands the trial back without counting the attempt: pending again, with <paramref name="message"/> saying why (the
    /// worker was stopped, or cannot train: no data, out of memory). False when the claim was lost.
    /// </summary>
    bool Release(TrialClaim claim, string message);

    /// <summary>Puts the sweep's failed trials back to pending with their attempts reset (`netblocks sweep retry`); returns how many.</summary>
    int Requeue(string sweep);

    IReadOnlyList<TrialRecord> Trials(string sweep);

    SweepCounts Counts(string sweep);
}
