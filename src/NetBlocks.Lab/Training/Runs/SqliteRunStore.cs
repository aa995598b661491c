using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using NetBlocks.Storage;

namespace NetBlocks.Training.Runs;

/// <summary>
/// The run store in one SQLite file (default <c>./runs/runs.db</c>, see <see cref="RunStorePaths"/>).
/// Several processes may use the file at once (a training run writing, `netblocks runs` reading): the database is in
/// WAL mode, so readers never block the writer, and a writer that finds the file locked waits up to the busy timeout.
/// Every write is one transaction, so a killed process leaves either the whole record or nothing.
/// Dates are stored as ISO-8601 UTC text (<c>2025-01-31T09:15:00.0000000Z</c>), statuses as lower-case words,
/// NaN metrics as NULL. One instance may be shared by threads (calls are serialised).
/// </summary>
public sealed class SqliteRunStore : IRunStore
{
    /// <summary>
    /// Migrations[v] takes the schema from version v to v + 1 (version 0 = empty file). To change the schema, append
    /// a step; never edit a released one — files written by older builds are upgraded by replaying the steps they lack.
    /// </summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        CREATE TABLE runs (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            model          TEXT    NOT NULL,
            status         TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
            started_utc    TEXT    NOT NULL,
            ended_utc      TEXT,
            epochs_planned INTEGER NOT NULL,
            settings_json  TEXT    NOT NULL,
            output_dir     TEXT    NOT NULL,
            message        TEXT
        );
        CREATE INDEX runs_by_start ON runs (started_utc);
        CREATE TABLE epochs (
            run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            epoch        INTEGER NOT NULL,
            train_loss   REAL,
            train_acc    REAL,
            val_loss     REAL,
            val_acc      REAL,
            seconds      REAL,
            images_per_s REAL,
            PRIMARY KEY (run_id, epoch)
        );
        CREATE TABLE checkpoints (
            run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            epoch        INTEGER NOT NULL,
            path         TEXT    NOT NULL,
            recorded_utc TEXT    NOT NULL,
            PRIMARY KEY (run_id, path)
        );
        """,
    ];

    /// <summary>The schema version this build writes; a file with a newer one is refused rather than misread.</summary>
    public static int SchemaVersion => Migrations.Length;

    private readonly SqliteConnection connection;
    private readonly Func<DateTime> utcNow;
    private readonly Lock gate = new();
    private bool disposed;

    /// <summary>Opens (creating if missing, with its directory) the database at <paramref name="databasePath"/>.</summary>
    /// <param name="busyTimeout">How long a write waits for another process's write to finish (default 30 s; at least
    /// about 1 s, since Microsoft.Data.Sqlite retries busy commands for whole seconds).</param>
    /// <param name="utcNow">Clock for end times and checkpoint times (tests pass a fixed one).</param>
    /// <exception cref="InvalidDataException">The file is not a NetBlocks run database, is corrupt, or is from a newer NetBlocks.</exception>
    /// <exception cref="IOException">The file cannot be opened or stays locked past <paramref name="busyTimeout"/>.</exception>
    public SqliteRunStore(string databasePath, TimeSpan? busyTimeout = null, Func<DateTime>? utcNow = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        DatabasePath = databasePath;
        var timeout = busyTimeout ?? TimeSpan.FromSeconds(30);
        this.utcNow = utcNow ?? (() => DateTime.UtcNow);
        connection = SqliteFile.Connection(databasePath, "run database", timeout);
        try
        {
            Guard(() =>
            {
                connection.Open();
                SqliteFile.Configure(connection, timeout);
                Migrate();
                return 0;
            });
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The database file, as given to the constructor (error messages name it so).</summary>
    public string DatabasePath { get; }

    public long CreateRun(TrainingSettings settings, string outputDirectory, DateTime startedUtc)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        var json = settings.ToJson();
        return Write(tx => (long)Scalar(tx,
            """
            INSERT INTO runs (model, status, started_utc, epochs_planned, settings_json, output_dir)
            VALUES ($model, 'running', $started, $planned, $settings, $dir)
            RETURNING id
            """,
            ("$model", settings.Model), ("$started", FormatUtc(startedUtc)), ("$planned", settings.Epochs),
            ("$settings", json), ("$dir", outputDirectory))!);
    }

    public void UpdateSettings(long runId, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var json = settings.ToJson();
        Write(tx =>
        {
            RequireRun(tx, runId);
            return Execute(tx, "UPDATE runs SET settings_json = $settings, epochs_planned = $planned WHERE id = $run",
                ("$settings", json), ("$planned", settings.Epochs), ("$run", runId));
        });
    }

    /// <summary>Records an epoch's metrics; recording the same epoch again (a resumed run) replaces the earlier numbers.</summary>
    public void RecordEpoch(long runId, EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfNegative(metrics.Epoch);
        Write(tx =>
        {
            RequireRun(tx, runId);
            return Execute(tx,
                """
                INSERT INTO epochs (run_id, epoch, train_loss, train_acc, val_loss, val_acc, seconds, images_per_s)
                VALUES ($run, $epoch, $train_loss, $train_acc, $val_loss, $val_acc, $seconds, $ips)
                ON CONFLICT (run_id, epoch) DO UPDATE SET
                    train_loss = excluded.train_loss, train_acc = excluded.train_acc,
                    val_loss = excluded.val_loss, val_acc = excluded.val_acc,
                    seconds = excluded.seconds, images_per_s = excluded.images_per_s
                """,
                ("$run", runId), ("$epoch", metrics.Epoch), ("$train_loss", metrics.TrainLoss), ("$train_acc", metrics.TrainAccuracy),
                ("$val_loss", metrics.ValLoss), ("$val_acc", metrics.ValAccuracy), ("$seconds", metrics.Seconds),
                ("$ips", metrics.ImagesPerSecond));
        });
    }

    /// <summary>Records a checkpoint file; recording the same path again (a file overwritten each epoch) moves it to the new epoch.</summary>
    public void RecordCheckpoint(long runId, int epoch, string path)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Write(tx =>
        {
            RequireRun(tx, runId);
            return Execute(tx,
                """
                INSERT INTO checkpoints (run_id, epoch, path, recorded_utc) VALUES ($run, $epoch, $path, $now)
                ON CONFLICT (run_id, path) DO UPDATE SET epoch = excluded.epoch, recorded_utc = excluded.recorded_utc
                """,
                ("$run", runId), ("$epoch", epoch), ("$path", path), ("$now", FormatUtc(utcNow())));
        });
    }

    /// <summary>
    /// Sets the status and message (null clears it). Any status but Running stamps the end time with now;
    /// Running (a resumed run) clears it.
    /// </summary>
    public void SetStatus(long runId, RunStatus status, string? message = null)
    {
        var ended = status == RunStatus.Running ? null : FormatUtc(utcNow());
        Write(tx =>
        {
            RequireRun(tx, runId);
            return Execute(tx, "UPDATE runs SET status = $status, ended_utc = $ended, message = $message WHERE id = $run",
                ("$status", FormatStatus(status)), ("$ended", ended), ("$message", message), ("$run", runId));
        });
    }

    private const string SummarySelect =
        """
        SELECT r.id, r.model, r.status, r.started_utc, r.ended_utc, r.epochs_planned, r.message,
               (SELECT COUNT(*) FROM epochs e WHERE e.run_id = r.id),
               (SELECT e.val_acc FROM epochs e WHERE e.run_id = r.id ORDER BY e.epoch DESC LIMIT 1),
               r.settings_json, r.output_dir
        FROM runs r
        """;

    /// <summary>The <paramref name="limit"/> newest runs (by start time, then id), newest first.</summary>
    public IReadOnlyList<RunSummary> ListRuns(int limit = 50)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Read(tx =>
        {
            using var command = Command(tx, SummarySelect + " ORDER BY r.started_utc DESC, r.id DESC LIMIT $limit", ("$limit", limit));
            using var reader = command.ExecuteReader();
            var runs = new List<RunSummary>();
            while (reader.Read()) runs.Add(ReadSummary(reader));
            return runs;
        });
    }

    /// <summary>Everything recorded about a run (epochs by epoch, checkpoints by epoch then time), or null if there is no such run.</summary>
    public RunDetails? GetRun(long runId) => Read(tx =>
    {
        RunSummary summary;
        string settingsJson, outputDirectory;
        using (var command = Command(tx, SummarySelect + " WHERE r.id = $run", ("$run", runId)))
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read()) return null;
            summary = ReadSummary(reader);
            settingsJson = reader.GetString(9);
            outputDirectory = reader.GetString(10);
        }

        TrainingSettings settings;
        try
        {
            settings = TrainingSettings.FromJson(settingsJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"run {runId} in {DatabasePath} has unreadable settings: {e.Message}", e);
        }

        var epochs = new List<EpochMetrics>();
        using (var command = Command(tx,
                   """
                   SELECT epoch, train_loss, train_acc, val_loss, val_acc, seconds, images_per_s
                   FROM epochs WHERE run_id = $run ORDER BY epoch
                   """, ("$run", runId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                epochs.Add(new EpochMetrics(reader.GetInt32(0), Real(reader, 1), Real(reader, 2), Real(reader, 3), Real(reader, 4),
                    Real(reader, 5), Real(reader, 6)));
        }

        var checkpoints = new List<(int Epoch, string Path)>();
        using (var command = Command(tx, "SELECT epoch, path FROM checkpoints WHERE run_id = $run ORDER BY epoch, recorded_utc, path",
                   ("$run", runId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) checkpoints.Add((reader.GetInt32(0), reader.GetString(1)));
        }

        return new RunDetails(summary, settings, epochs, checkpoints, outputDirectory);
    });

    /// <summary>The lowest and highest run id and the number of runs, or null when no run is recorded (for "no run 7 (runs: 1–5)").</summary>
    public (long First, long Last, int Count)? RunIdRange() => Read<(long, long, int)?>(tx =>
    {
        using var command = Command(tx, "SELECT MIN(id), MAX(id), COUNT(*) FROM runs");
        using var reader = command.ExecuteReader();
        reader.Read();
        return reader.IsDBNull(0) ? null : (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2));
    });

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            connection.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> in one write transaction (BEGIN IMMEDIATE: the write lock is taken up front, so two
    /// writers queue instead of deadlocking). It commits when the body returns; if the body throws, nothing is kept.
    /// </summary>
    internal T Write<T>(Func<SqliteTransaction, T> body) => Guard(() =>
    {
        using var tx = connection.BeginTransaction(deferred: false);
        var result = body(tx);
        tx.Commit();
        return result;
    });

    /// <summary>Runs <paramref name="body"/> in a read transaction, so its queries see one consistent snapshot.</summary>
    private T Read<T>(Func<SqliteTransaction, T> body) => Guard(() =>
    {
        using var tx = connection.BeginTransaction(deferred: true);
        return body(tx);
    });

    /// <summary>Serialises calls and turns SQLite's errors into ones that name the file and say what to do.</summary>
    private T Guard<T>(Func<T> body)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var started = Stopwatch.GetTimestamp();
            try
            {
                return body();
            }
            catch (SqliteException e)
            {
                throw Translate(e, Stopwatch.GetElapsedTime(started));
            }
        }
    }

    private Exception Translate(SqliteException e, TimeSpan waited)
    {
        const int Perm = 3, Busy = 5, Locked = 6, ReadOnly = 8, IoErr = 10, Corrupt = 11, Full = 13, CantOpen = 14, NotADb = 26;
        // "SQLite Error 26: 'file is not a database'." -> "file is not a database"
        var quoted = Regex.Match(e.Message, "'(.+)'");
        var reason = quoted.Success ? quoted.Groups[1].Value : e.Message;
        return (e.SqliteErrorCode & 0xFF) switch
        {
            Corrupt or NotADb => new InvalidDataException(
                $"{DatabasePath} is not a NetBlocks run database or is corrupt ({reason}); move it aside and a new one will be created", e),
            Busy or Locked => new IOException(
                $"run database {DatabasePath} is locked by another process's write (gave up after {waited.TotalSeconds:0.0} s: {reason})", e),
            Perm or ReadOnly or IoErr or Full or CantOpen => new IOException($"cannot use run database {DatabasePath} ({reason})", e),
            _ => new InvalidOperationException($"run database {DatabasePath}: {reason}", e),
        };
    }

    private void Migrate()
    {
        var version = ReadSchemaVersion(null);
        if (version == SchemaVersion) return;
        Write(tx =>
        {
            version = ReadSchemaVersion(tx); // another process may have migrated while we waited for the lock
            for (; version < SchemaVersion; version++)
                Execute(tx, Migrations[version]);
            Execute(tx, "DELETE FROM schema_version");
            Execute(tx, "INSERT INTO schema_version (version) VALUES ($v)", ("$v", SchemaVersion));
            return 0;
        });
    }

    private int ReadSchemaVersion(SqliteTransaction? tx)
    {
        var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var command = Command(tx, "SELECT name FROM sqlite_master WHERE type = 'table'"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) tables.Add(reader.GetString(0));
        }

        if (!tables.Contains("schema_version"))
        {
            if (tables.Contains("runs"))
                throw new InvalidDataException($"{DatabasePath} has a runs table but no schema_version: not a NetBlocks run database");
            return 0;
        }

        var version = Convert.ToInt32(Scalar(tx, "SELECT MAX(version) FROM schema_version") ?? 0L, CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
            throw new InvalidDataException(
                $"{DatabasePath} has run-database schema version {version}; this NetBlocks reads up to version {SchemaVersion}: upgrade NetBlocks");
        return version;
    }

    private void RequireRun(SqliteTransaction tx, long runId)
    {
        if (Scalar(tx, "SELECT 1 FROM runs WHERE id = $run", ("$run", runId)) is null)
            throw new KeyNotFoundException($"no run {runId} in {DatabasePath}");
    }

    private RunSummary ReadSummary(SqliteDataReader reader) => new(
        Id: reader.GetInt64(0),
        Model: reader.GetString(1),
        Status: ParseStatus(reader.GetString(2)),
        StartedUtc: ParseUtc(reader.GetString(3)),
        EndedUtc: reader.IsDBNull(4) ? null : ParseUtc(reader.GetString(4)),
        EpochsDone: reader.GetInt32(7),
        EpochsPlanned: reader.GetInt32(5),
        ValAccuracy: reader.IsDBNull(8) ? null : reader.GetDouble(8),
        Message: reader.IsDBNull(6) ? null : reader.GetString(6));

    private SqliteCommand Command(SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value switch
            {
                null => DBNull.Value,
                double d when double.IsNaN(d) => DBNull.Value, // SQLite stores NaN as NULL anyway; say so here
                _ => value,
            });
        return command;
    }

    private int Execute(SqliteTransaction? tx, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private object? Scalar(SqliteTransaction? tx, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private static double Real(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? double.NaN : reader.GetDouble(column);

    internal static string FormatUtc(DateTime time)
    {
        var utc = time.Kind switch
        {
            DateTimeKind.Local => time.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(time, DateTimeKind.Utc),
            _ => time,
        };
        return utc.ToString("O", CultureInfo.InvariantCulture);
    }

    internal static DateTime ParseUtc(string text) =>
        DateTime.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();

    internal static string FormatStatus(RunStatus status) => status.ToString().ToLowerInvariant();

    internal static RunStatus ParseStatus(string text) =>
        Enum.TryParse<RunStatus>(text, ignoreCase: true, out var status) && Enum.IsDefined(status)
            ? status
            : throw new InvalidDataException($"unknown run status '{text}'");
}
