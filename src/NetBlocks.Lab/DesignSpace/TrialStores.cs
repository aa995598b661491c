namespace NetBlocks.DesignSpace;

/// <summary>Opens the trial store a <c>--store</c> value names.</summary>
public static class TrialStores
{
    public const string EnvironmentVariable = "NETBLOCKS_SWEEP_STORE";
    public static readonly string DefaultPath = Path.Combine("sweeps", "sweeps.db");

    /// <summary>The store named by <paramref name="url"/>, else $NETBLOCKS_SWEEP_STORE, else ./sweeps/sweeps.db.</summary>
    public static string Resolve(string? url) =>
        !string.IsNullOrWhiteSpace(url) ? url.Trim()
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? env
        : DefaultPath;

    /// <summary>
    /// A SQLite file path (or sqlite:PATH), or postgres://user:pass@host:port/db. With <paramref name="mustExist"/>, a SQLite
    /// file that does not exist is an error instead of being created (status and reports of a store never written).
    /// </summary>
    /// <exception cref="ArgumentException">an unsupported URL scheme or a malformed PostgreSQL URL.</exception>
    /// <exception cref="IOException">the store cannot be opened or reached.</exception>
    public static ITrialStore Open(string? url, bool mustExist = false)
    {
        var target = Resolve(url);
        if (target.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return new PostgresTrialStore(target);
        int scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && !target.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"unsupported store '{PostgresTrialStore.Redact(target)}': give a SQLite file path (e.g. sweeps/sweeps.db) or postgres://user:pass@host:port/db");
        var path = target.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? target["sqlite:".Length..].TrimStart('/') : target;
        if (target.StartsWith("sqlite:///", StringComparison.OrdinalIgnoreCase)) path = "/" + path;
        if (mustExist && !File.Exists(path))
            throw new FileNotFoundException($"no sweep store at {path}: create a sweep first (`netblocks sweep create NAME --space … --samples N`) or point --store at the right file");
        return new SqliteTrialStore(path);
    }
}
