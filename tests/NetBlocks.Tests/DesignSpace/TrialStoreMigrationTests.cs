using System.Data.Common;
using Microsoft.Data.Sqlite;
using NetBlocks.DesignSpace;
using NetBlocks.Tests.Data;
using Npgsql;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>
/// A store written by the first release (its tables lack the columns added since, e.g. <c>diverged</c>) opens, gains the
/// columns, keeps its sweeps and trials, and works: old done trials read as not diverged, new results record the flag.
/// </summary>
public sealed class TrialStoreMigrationTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>The first release's tables, as it created them (SQLite; PostgreSQL differs only in the id column).</summary>
    private static string FirstReleaseSchema(string id) =>
        $"""
        CREATE TABLE sweeps (name TEXT PRIMARY KEY, space TEXT NOT NULL, definition_json TEXT NOT NULL, created_utc TEXT NOT NULL);
        CREATE TABLE trials (
            {id},
            sweep TEXT NOT NULL REFERENCES sweeps (name) ON DELETE CASCADE, idx INTEGER NOT NULL, spec TEXT NOT NULL,
            parameters_json TEXT NOT NULL, params BIGINT NOT NULL, macs BIGINT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')), attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL, worker TEXT, lease_until BIGINT, started_ms BIGINT, finished_ms BIGINT,
            error DOUBLE PRECISION, seconds DOUBLE PRECISION, curve_json TEXT, message TEXT, UNIQUE (sweep, idx));
        CREATE INDEX trials_by_status ON trials (sweep, status, idx);
        INSERT INTO sweeps VALUES ('old', 'anynetx-a', '{new SweepDefinition("old", SpaceKind.AnyNetXA, new TrialSettings()).ToJson()}', '2026-01-01T00:00:00Z');
        INSERT INTO trials (sweep, idx, spec, parameters_json, params, macs, status, attempts, max_attempts, worker, error, seconds, curve_json)
            VALUES ('old', 0, 'anynet:stem=16,1x8', '{"{}"}', 10, 20, 'done', 1, 3, 'w', 0.25, 1.5, '[]');
        INSERT INTO trials (sweep, idx, spec, parameters_json, params, macs, status, attempts, max_attempts)
            VALUES ('old', 1, 'anynet:stem=16,1x16', '{"{}"}', 11, 21, 'pending', 0, 3);
        """;

    private static void Execute(DbConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static void OpensAndWorks(Func<ITrialStore> open)
    {
        using (var store = open())
        {
            var done = store.Trials("old")[0];
            Assert.Equal((TrialStatus.Done, 0.25, false), (done.Status, done.Error!.Value, done.Diverged));
            var claim = store.Claim("old", "w", TimeSpan.FromMinutes(10))!;
            Assert.Equal(1, claim.Index);
            Assert.True(store.Complete(claim, TrialResult.Diverge(10, 1, [], "diverged: the training loss became NaN or infinite at step 1")));
        }
        using (var reopened = open()) // a second open finds the columns there and adds nothing
            Assert.Equal(new[] { false, true }, reopened.Trials("old").Select(t => t.Diverged));
    }

    [Fact]
    public void A_first_release_sqlite_store_is_migrated_and_keeps_its_trials()
    {
        var path = dir["old.db"];
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            Execute(c, FirstReleaseSchema("id INTEGER PRIMARY KEY AUTOINCREMENT"));
        }
        OpensAndWorks(() => new SqliteTrialStore(path));
    }

    [PostgresFact]
    public void A_first_release_postgres_store_is_migrated_and_keeps_its_trials()
    {
        var url = PostgresTrialStoreTests.Url!;
        var schema = "m_" + Guid.NewGuid().ToString("N")[..12];
        using var source = NpgsqlDataSource.Create(PostgresTrialStore.ParseUrl(url, out _));
        try
        {
            using (var c = source.OpenConnection())
                Execute(c, $"CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\";" +
                           FirstReleaseSchema("id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"));
            OpensAndWorks(() => new PostgresTrialStore($"{url}?schema={schema}"));
        }
        finally
        {
            using var c = source.OpenConnection();
            Execute(c, $"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }
}
