using System.Data.Common;
using System.Text.Json;
using NetBlocks.Training;

namespace NetBlocks.DesignSpace;

/// <summary>
/// The SQL both stores share. Tables: <c>sweeps(name, space, definition_json, created_utc)</c> and <c>trials</c> (one row
/// per sampled model: spec, design parameters, costs, status, attempts, owner, lease, result, diverged). Columns added
/// after the first release (<see cref="AddedColumns"/>) are added to an older store when it is opened. Lease times are
/// milliseconds since 1970 read from the database's clock (<see cref="Now"/>), so workers on machines with skewed clocks
/// agree on when a lease expires.
/// </summary>
public abstract class SqlTrialStore : ITrialStore
{
    public abstract string Location { get; }

    /// <summary>SQL for the database's current time in Unix milliseconds.</summary>
    protected abstract string Now { get; }

    /// <summary>Appended to the claim's inner SELECT (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite locks the whole file).</summary>
    protected abstract string LockClause { get; }

    /// <summary>Runs <paramref name="body"/> in one transaction (committed when it returns), translating driver errors.</summary>
    protected abstract T Transaction<T>(Func<DbConnection, DbTransaction, T> body);

    public abstract void Dispose();

    /// <summary>Whether <paramref name="table"/> of this store has <paramref name="column"/> (the database's catalog query).</summary>
    protected abstract bool HasColumn(DbConnection c, DbTransaction tx, string table, string column);

    /// <summary>Columns the first release's tables lack: (table, column, SQL definition valid for SQLite and PostgreSQL).</summary>
    protected static readonly IReadOnlyList<(string Table, string Column, string Definition)> AddedColumns =
    [
        ("trials", "diverged", "INTEGER NOT NULL DEFAULT 0"),
    ];

    /// <summary>Adds the <see cref="AddedColumns"/> a store lacks; call in the transaction that creates the tables.</summary>
    protected void Migrate(DbConnection c, DbTransaction tx)
    {
        foreach (var (table, column, definition) in AddedColumns)
            if (!HasColumn(c, tx, table, column))
                Execute(c, tx, $"ALTER TABLE {table} ADD COLUMN {column} {definition}");
    }

    public void CreateSweep(SweepDefinition sweep, IReadOnlyList<SampledModel> trials)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(trials);
        SweepDefinition.ValidateName(sweep.Name);
        Transaction((c, tx) =>
        {
            var existing = Scalar(c, tx, "SELECT COUNT(*) FROM trials WHERE sweep = @s", ("@s", sweep.Name));
            if (Scalar(c, tx, "SELECT COUNT(*) FROM sweeps WHERE name = @s", ("@s", sweep.Name)) is { } n && Convert.ToInt64(n) > 0)
                throw Exists(sweep.Name, Convert.ToInt64(existing));
            Execute(c, tx, "INSERT INTO sweeps (name, space, definition_json, created_utc) VALUES (@n, @sp, @d, @t)",
                ("@n", sweep.Name), ("@sp", DesignSpaces.Name(sweep.Space)), ("@d", sweep.ToJson()), ("@t", sweep.CreatedUtc.ToString("O")));
            foreach (var t in trials)
                Execute(c, tx,
                    """
                    INSERT INTO trials (sweep, idx, spec, parameters_json, params, macs, status, attempts, max_attempts)
                    VALUES (@s, @i, @spec, @p, @np, @m, 'pending', 0, @max)
                    """,
                    ("@s", sweep.Name), ("@i", t.Index), ("@spec", t.Spec), ("@p", JsonSerializer.Serialize(t.Parameters)),
                    ("@np", t.Params), ("@m", t.Macs), ("@max", sweep.MaxAttempts));
            return 0;
        });
    }

    protected SweepExistsException Exists(string name, long trials) => new(
        $"sweep '{name}' already exists in {Location} ({trials} trials); choose another name, or continue it with `netblocks sweep run {name}`");

    public SweepDefinition? GetSweep(string name) => Transaction((c, tx) =>
    {
        var json = Scalar(c, tx, "SELECT definition_json FROM sweeps WHERE name = @n", ("@n", name)) as string;
        if (json is null) return null;
        try { return SweepDefinition.FromJson(json) with { Name = name }; }
        catch (JsonException e) { throw new InvalidDataException($"sweep '{name}' in {Location} has an unreadable definition: {e.Message}", e); }
    });

    public IReadOnlyList<string> ListSweeps() => Transaction((c, tx) =>
    {
        using var cmd = Command(c, tx, "SELECT name FROM sweeps ORDER BY created_utc, name");
        using var r = cmd.ExecuteReader();
        var names = new List<string>();
        while (r.Read()) names.Add(r.GetString(0));
        return (IReadOnlyList<string>)names;
    });

    public TrialClaim? Claim(string sweep, string worker, TimeSpan lease)
    {
        ArgumentException.ThrowIfNullOrEmpty(worker);
        long leaseMs = Math.Max(1, (long)lease.TotalMilliseconds);
        return Transaction((c, tx) =>
        {
            // A claim that expired after its last attempt: the trial killed its worker (or several) too often.
            Execute(c, tx,
                $"""
                UPDATE trials SET status = 'failed', lease_until = NULL, finished_ms = {Now},
                    message = 'claim expired after attempt ' || CAST(attempts AS TEXT) || ' of ' || CAST(max_attempts AS TEXT) || ' (worker ' || COALESCE(worker, '?') || ' stopped heartbeating: killed or stalled)'
                WHERE sweep = @s AND status = 'running' AND lease_until < {Now} AND attempts >= max_attempts
                """, ("@s", sweep));
            using var cmd = Command(c, tx,
                $"""
                UPDATE trials SET status = 'running', worker = @w, attempts = attempts + 1, lease_until = {Now} + @lease, started_ms = {Now},
                    message = CASE WHEN status = 'running' THEN 'reclaimed: the lease of ' || COALESCE(worker, '?') || ' expired' ELSE message END
                WHERE id = (SELECT id FROM trials
                            WHERE sweep = @s AND attempts < max_attempts AND (status = 'pending' OR (status = 'running' AND lease_until < {Now}))
                            ORDER BY idx LIMIT 1 {LockClause})
                RETURNING id, idx, spec, attempts
                """, ("@s", sweep), ("@w", worker), ("@lease", leaseMs));
            using var r = cmd.ExecuteReader();
            if (!r.Read()) return null;
            return new TrialClaim(r.GetInt64(0), sweep, r.GetInt32(1), r.GetString(2), r.GetInt32(3), worker);
        });
    }

    public bool Heartbeat(TrialClaim claim, TimeSpan lease) => Transaction((c, tx) =>
        Execute(c, tx, $"UPDATE trials SET lease_until = {Now} + @lease WHERE id = @id AND worker = @w AND status = 'running'",
            ("@lease", Math.Max(1, (long)lease.TotalMilliseconds)), ("@id", claim.Id), ("@w", claim.Worker)) == 1);

    public bool Complete(TrialClaim claim, TrialResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.Validate(); // nothing that is not finite reaches the JSON serializer or the error column
        var curve = JsonSerializer.Serialize(result.Curve);
        return Transaction((c, tx) => Execute(c, tx,
            $"""
            UPDATE trials SET status = 'done', error = @e, seconds = @sec, curve_json = @curve, diverged = @div,
                message = COALESCE(@why, message), lease_until = NULL, finished_ms = {Now}
            WHERE id = @id AND worker = @w AND status = 'running'
            """,
            ("@e", result.Error), ("@sec", result.Seconds), ("@curve", curve), ("@div", result.Diverged ? 1 : 0), ("@why", result.Divergence),
            ("@id", claim.Id), ("@w", claim.Worker)) == 1);
    }

    public TrialStatus? Fail(TrialClaim claim, string message) => Transaction((c, tx) =>
    {
        using var cmd = Command(c, tx,
            $"""
            UPDATE trials SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
                message = @m, lease_until = NULL, finished_ms = {Now}
            WHERE id = @id AND worker = @w AND status = 'running'
            RETURNING status
            """, ("@m", message), ("@id", claim.Id), ("@w", claim.Worker));
        var status = cmd.ExecuteScalar() as string;
        return status is null ? (TrialStatus?)null : ParseStatus(status);
    });

    public bool Release(TrialClaim claim, string message) => Transaction((c, tx) => Execute(c, tx,
        """
        UPDATE trials SET status = 'pending', attempts = attempts - 1, message = @m, lease_until = NULL
        WHERE id = @id AND worker = @w AND status = 'running'
        """, ("@m", message), ("@id", claim.Id), ("@w", claim.Worker)) == 1);

    public int Requeue(string sweep) => Transaction((c, tx) => Execute(c, tx,
        "UPDATE trials SET status = 'pending', attempts = 0, lease_until = NULL WHERE sweep = @s AND status = 'failed'", ("@s", sweep)));

    public IReadOnlyList<TrialRecord> Trials(string sweep) => Transaction((c, tx) =>
    {
        using var cmd = Command(c, tx,
            """
            SELECT id, idx, spec, parameters_json, params, macs, status, attempts, worker, error, seconds, curve_json, message, diverged
            FROM trials WHERE sweep = @s ORDER BY idx
            """, ("@s", sweep));
        using var r = cmd.ExecuteReader();
        var list = new List<TrialRecord>();
        while (r.Read())
        {
            var parameters = JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(3)) ?? [];
            var curve = r.IsDBNull(11) ? [] : JsonSerializer.Deserialize<List<EpochMetrics>>(r.GetString(11)) ?? [];
            list.Add(new TrialRecord(r.GetInt64(0), sweep, r.GetInt32(1), r.GetString(2), parameters, r.GetInt64(4), r.GetInt64(5),
                ParseStatus(r.GetString(6)), r.GetInt32(7), r.IsDBNull(8) ? null : r.GetString(8),
                r.IsDBNull(9) ? null : r.GetDouble(9), r.IsDBNull(10) ? null : r.GetDouble(10), curve,
                r.IsDBNull(12) ? null : r.GetString(12)) { Diverged = Convert.ToInt64(r.GetValue(13)) != 0 });
        }
        return (IReadOnlyList<TrialRecord>)list;
    });

    public SweepCounts Counts(string sweep) => Transaction((c, tx) =>
    {
        using var cmd = Command(c, tx, "SELECT status, COUNT(*) FROM trials WHERE sweep = @s GROUP BY status", ("@s", sweep));
        using var r = cmd.ExecuteReader();
        int p = 0, run = 0, d = 0, f = 0;
        while (r.Read())
        {
            int n = Convert.ToInt32(r.GetValue(1));
            switch (ParseStatus(r.GetString(0)))
            {
                case TrialStatus.Pending: p = n; break;
                case TrialStatus.Running: run = n; break;
                case TrialStatus.Done: d = n; break;
                default: f = n; break;
            }
        }
        return new SweepCounts(p, run, d, f);
    });

    private static TrialStatus ParseStatus(string s) => s switch
    {
        "pending" => TrialStatus.Pending,
        "running" => TrialStatus.Running,
        "done" => TrialStatus.Done,
        "failed" => TrialStatus.Failed,
        _ => throw new InvalidDataException($"unknown trial status '{s}'"),
    };

    // ------------------------------------------------------------------ ADO.NET helpers

    protected static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    protected static int Execute(DbConnection c, DbTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    protected static object? Scalar(DbConnection c, DbTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }
}
