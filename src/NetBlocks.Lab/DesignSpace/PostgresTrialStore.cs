using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace NetBlocks.DesignSpace;

/// <summary>
/// The trial store in PostgreSQL, for workers on many machines (<c>--store postgres://user:pass@host:port/db</c>, optional
/// <c>?schema=NAME</c>). A claim is one UPDATE whose inner SELECT takes the first claimable row <c>FOR UPDATE SKIP LOCKED</c>:
/// concurrent workers skip each other's rows instead of waiting (as Optuna's RDB storage and queue tables do). Lease
/// times come from the server's clock. Connections come from Npgsql's pool; calls are safe from any thread.
/// </summary>
public sealed class PostgresTrialStore : SqlTrialStore
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
            id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            sweep           TEXT    NOT NULL REFERENCES sweeps (name) ON DELETE CASCADE,
            idx             INTEGER NOT NULL,
            spec            TEXT    NOT NULL,
            parameters_json TEXT    NOT NULL,
            params          BIGINT  NOT NULL,
            macs            BIGINT  NOT NULL,
            status          TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
            attempts        INTEGER NOT NULL,
            max_attempts    INTEGER NOT NULL,
            worker          TEXT,
            lease_until     BIGINT,
            started_ms      BIGINT,
            finished_ms     BIGINT,
            error           DOUBLE PRECISION,
            seconds         DOUBLE PRECISION,
            curve_json      TEXT,
            message         TEXT,
            UNIQUE (sweep, idx)
        );
        CREATE INDEX IF NOT EXISTS trials_by_status ON trials (sweep, status, idx);
        """;

    private readonly NpgsqlDataSource source;
    private readonly string host, database, user;

    /// <summary>Connects to <paramref name="url"/> and creates the tables if missing.</summary>
    /// <exception cref="ArgumentException">the URL is not postgres://user[:password]@host[:port]/database[?schema=NAME].</exception>
    /// <exception cref="IOException">the server cannot be reached, refuses the user, or lacks the database (the message says what to fix).</exception>
    public PostgresTrialStore(string url)
    {
        var builder = ParseUrl(url, out var schema);
        host = $"{builder.Host}:{builder.Port}";
        database = builder.Database!;
        user = builder.Username!;
        Location = $"postgres://{user}@{host}/{database}" + (schema is null ? "" : $"?schema={schema}");
        source = NpgsqlDataSource.Create(builder);
        try
        {
            Transaction((c, tx) =>
            {
                // One creator at a time: concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalogs.
                Execute(c, tx, "SELECT pg_advisory_xact_lock(6020030001)");
                if (schema is not null) Execute(c, tx, $"CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
                Execute(c, tx, Schema);
                Migrate(c, tx);
                return 0;
            });
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    public override string Location { get; }

    protected override string Now => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

    protected override string LockClause => "FOR UPDATE SKIP LOCKED";

    protected override bool HasColumn(DbConnection c, DbTransaction tx, string table, string column) =>
        Convert.ToInt64(Scalar(c, tx,
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t AND column_name = @c",
            ("@t", table), ("@c", column))) > 0;

    /// <summary>postgres://user:pass@host:port/db[?schema=NAME] (also postgresql://) as Npgsql settings; percent-escapes decoded.</summary>
    public static NpgsqlConnectionStringBuilder ParseUrl(string url, out string? schema)
    {
        schema = null;
        const string form = "postgres://user:password@host:port/database";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
            throw new ArgumentException($"'{Redact(url)}' is not a PostgreSQL URL; write {form}");
        var db = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (db.Length == 0) throw new ArgumentException($"'{Redact(url)}' names no database; write {form}");
        if (uri.Host.Length == 0) throw new ArgumentException($"'{Redact(url)}' names no host; write {form}");
        var userInfo = uri.UserInfo.Split(':', 2);
        var username = Uri.UnescapeDataString(userInfo[0]);
        if (username.Length == 0) throw new ArgumentException($"'{Redact(url)}' names no user; write {form}");
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv[0] == "schema" && kv.Length == 2)
            {
                schema = Uri.UnescapeDataString(kv[1]);
                if (schema.Length == 0 || schema.Length > 63 || !schema.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '_'))
                    throw new ArgumentException($"schema '{schema}' in the store URL: use lower-case letters, digits and '_'");
            }
            else throw new ArgumentException($"unknown store URL parameter '{kv[0]}' (only ?schema=NAME is understood)");
        }
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = db,
            Username = username,
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
            Timeout = 5,
            CommandTimeout = 60,
            ApplicationName = "netblocks-sweep",
        };
        if (schema is not null) b.SearchPath = schema;
        return b;
    }

    /// <summary>The URL with its password replaced by ***, for messages.</summary>
    public static string Redact(string url)
    {
        int at = url.IndexOf('@'), scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (at < 0 || scheme < 0 || at < scheme) return url;
        var userInfo = url[(scheme + 3)..at];
        int colon = userInfo.IndexOf(':');
        return colon < 0 ? url : url[..(scheme + 3)] + userInfo[..colon] + ":***" + url[at..];
    }

    protected override T Transaction<T>(Func<DbConnection, DbTransaction, T> body)
    {
        try
        {
            using var c = source.OpenConnection();
            using var tx = c.BeginTransaction();
            var result = body(c, tx);
            tx.Commit();
            return result;
        }
        catch (PostgresException e) when (e.SqlState is "28P01" or "28000")
        {
            throw new IOException($"PostgreSQL at {host} refused user '{user}' ({e.MessageText}); fix user:password in --store", e);
        }
        catch (PostgresException e) when (e.SqlState == "3D000")
        {
            throw new IOException($"database '{database}' does not exist on the PostgreSQL server at {host}; create it (createdb {database}) or fix --store", e);
        }
        catch (PostgresException e) when (e.SqlState is "42501")
        {
            throw new IOException($"user '{user}' may not create or use the sweep tables in '{database}' at {host} ({e.MessageText}); grant it CREATE on the database or schema", e);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            var reason = e.InnerException is SocketException or TimeoutException ? e.InnerException.Message : e.Message;
            throw new IOException($"cannot reach PostgreSQL at {host} ({reason}); check host and port in --store and that the server is running and accepts TCP connections", e);
        }
        catch (PostgresException e)
        {
            throw new IOException($"sweep store {Location}: {e.MessageText} (SQLSTATE {e.SqlState})", e);
        }
    }

    public override void Dispose() => source.Dispose();
}
