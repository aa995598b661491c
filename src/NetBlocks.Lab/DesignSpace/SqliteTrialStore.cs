using System.Data.Common;
using Microsoft.Data.Sqlite;
using NetBlocks.Storage;

namespace NetBlocks.DesignSpace;

/// <summary>
/// The trial store in one SQLite file (default <c>./sweeps/sweeps.db</c>), for workers on one machine (threads or
/// processes). WAL mode and a busy timeout as in the run store; every call is one BEGIN IMMEDIATE transaction, so a
/// claim (an UPDATE … WHERE id = (SELECT …) RETURNING) holds the write lock from its read to its write and two
/// workers can never claim the same trial. A process killed mid-transaction leaves nothing half written.
/// </summary>
public sealed class SqliteTrialStore : SqlTrialStore
{
    private const string Schema =
        """
        CREATE TABLE IF NOT EXISTS sweeps (
            name            TEXT PRIMARY KEY,
            space           TEXT NOT NULL,
            definition_json TEXT NOT NULL,
            created_utc     TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS trials (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            sweep           TEXT    NOT NULL REFERENCES sweeps (name) ON DELETE CASCADE,
            idx             INTEGER NOT NULL,
            spec            TEXT    NOT NULL,
            parameters_json TEXT    NOT NULL,
            params          INTEGER NOT NULL,
            macs            INTEGER NOT NULL,
            status          TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
            attempts        INTEGER NOT NULL,
            max_attempts    INTEGER NOT NULL,
            worker          TEXT,
            lease_until     INTEGER,
            started_ms      INTEGER,
            finished_ms     INTEGER,
            error           REAL,
            seconds         REAL,
            curve_json      TEXT,
            message         TEXT,
            UNIQUE (sweep, idx)
        );
        CREATE INDEX IF NOT EXISTS trials_by_status ON trials (sweep, status, idx);
        """;

    private readonly SqliteConnection connection;
    private readonly Lock gate = new();
    private bool disposed;

    /// <summary>Opens (creating it and its folder if missing) the store at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">the file cannot be opened, is not a database, or stays locked past the busy timeout.</exception>
    public SqliteTrialStore(string path, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Location = path;
        var timeout = busyTimeout ?? TimeSpan.FromSeconds(30);
        connection = SqliteFile.Connection(path, "sweep store", timeout);
        try
        {
            Guard(() =>
            {
                connection.Open();
                SqliteFile.Configure(connection, timeout);
                using var tx = connection.BeginTransaction(deferred: false);
                Execute(connection, tx, Schema);
                Migrate(connection, tx);
                tx.Commit();
                return 0;
            });
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public override string Location { get; }

    // julianday('now') is fixed for the duration of one statement, so every use in a statement sees the same instant.
    protected override string Now => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

    protected override string LockClause => "";

    protected override bool HasColumn(DbConnection c, DbTransaction tx, string table, string column) =>
        Convert.ToInt64(Scalar(c, tx, "SELECT COUNT(*) FROM pragma_table_info(@t) WHERE name = @c", ("@t", table), ("@c", column))) > 0;

    protected override T Transaction<T>(Func<DbConnection, DbTransaction, T> body) => Guard(() =>
    {
        using var tx = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock up front
        var result = body(connection, tx);
        tx.Commit();
        return result;
    });

    private T Guard<T>(Func<T> body)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            try { return body(); }
            catch (SqliteException e)
            {
                int code = e.SqliteErrorCode & 0xFF;
                throw code switch
                {
                    5 or 6 => new IOException($"sweep store {Location} stayed locked by another process past the busy timeout: {e.Message}", e),
                    11 or 26 => new IOException($"{Location} is not a NetBlocks sweep store (or is corrupt): {e.Message}; point --store at another file", e),
                    14 => new IOException($"cannot open sweep store {Location}: {e.Message}; check the path and its permissions", e),
                    _ => new IOException($"sweep store {Location}: {e.Message}", e),
                };
            }
        }
    }

    public override void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            connection.Dispose();
        }
    }
}
