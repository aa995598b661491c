using Microsoft.Data.Sqlite;

namespace NetBlocks.Storage;

/// <summary>
/// How the lab opens a SQLite file, for both stores (the run store and the SQLite trial store): the file's folder is
/// created, a directory in its place is refused, the connection is unpooled (Dispose really closes the file, so a
/// finished run or worker leaves no handle behind), and once open it gets the same pragmas: a busy timeout, foreign
/// keys, WAL (readers never block the writer) and synchronous NORMAL.
/// </summary>
internal static class SqliteFile
{
    private static readonly Lazy<bool> NativeLibrary = new(() =>
    {
        SQLitePCL.Batteries_V2.Init();
        return true;
    });

    /// <summary>
    /// An unopened connection to <paramref name="path"/> (created with its folder on open if missing). The caller opens
    /// it and then calls <see cref="Configure"/>, both inside its own translation of SQLite errors.
    /// </summary>
    /// <param name="what">What the file is, for the error message (e.g. "run database").</param>
    /// <param name="busyTimeout">How long a command waits for another process's write; Microsoft.Data.Sqlite retries
    /// busy commands for whole seconds, so at least 1 s.</param>
    /// <exception cref="IOException"><paramref name="path"/> is a directory.</exception>
    public static SqliteConnection Connection(string path, string what, TimeSpan busyTimeout)
    {
        _ = NativeLibrary.Value;
        if (Directory.Exists(path)) throw new IOException($"{what} {path} is a directory, not a file");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        return new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString());
    }

    /// <summary>The pragmas every store sets on its open connection.</summary>
    public static void Configure(SqliteConnection connection, TimeSpan busyTimeout)
    {
        Run(connection, $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}");
        Run(connection, "PRAGMA foreign_keys = ON");
        // WAL is a property of the file: set once, then every connection (other processes too) uses it.
        if (!string.Equals(Run(connection, "PRAGMA journal_mode") as string, "wal", StringComparison.OrdinalIgnoreCase))
            Run(connection, "PRAGMA journal_mode = WAL");
        // In WAL mode NORMAL loses no committed transaction when the process dies, only on power loss.
        Run(connection, "PRAGMA synchronous = NORMAL");
    }

    private static object? Run(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
