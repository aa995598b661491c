using Microsoft.Data.Sqlite;
using NetBlocks.DesignSpace;
using NetBlocks.Storage;
using NetBlocks.Training.Runs;

namespace NetBlocks.Tests.Storage;

/// <summary>The one way the lab opens a SQLite file, shared by the run store and the SQLite trial store.</summary>
public class SqliteFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-sqlite-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static object? Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return command.ExecuteScalar();
    }

    [Fact]
    public void A_configured_connection_has_the_busy_timeout_foreign_keys_wal_and_synchronous_normal()
    {
        var path = Path.Combine(_dir, "deeper", "folder", "store.db");
        using var connection = SqliteFile.Connection(path, "test store", TimeSpan.FromMilliseconds(2500));
        connection.Open();
        SqliteFile.Configure(connection, TimeSpan.FromMilliseconds(2500));
        Assert.True(File.Exists(path));
        Assert.Equal(2500L, Pragma(connection, "busy_timeout"));
        Assert.Equal(1L, Pragma(connection, "foreign_keys"));
        Assert.Equal("wal", Pragma(connection, "journal_mode"));
        Assert.Equal(1L, Pragma(connection, "synchronous")); // NORMAL
        Assert.Equal(3, new SqliteConnectionStringBuilder(connection.ConnectionString).DefaultTimeout); // whole seconds, rounded up
        Assert.False(new SqliteConnectionStringBuilder(connection.ConnectionString).Pooling);
    }

    [Fact]
    public void A_directory_in_place_of_the_file_is_refused_with_what_the_file_is()
    {
        var e = Assert.Throws<IOException>(() => SqliteFile.Connection(_dir, "test store", TimeSpan.FromSeconds(1)));
        Assert.Equal($"test store {_dir} is a directory, not a file", e.Message);
    }

    [Fact]
    public void Both_stores_open_their_files_this_way()
    {
        var runs = Path.Combine(_dir, "runs.db");
        var sweeps = Path.Combine(_dir, "sweeps.db");
        using (new SqliteRunStore(runs, TimeSpan.FromSeconds(1))) { }
        using (new SqliteTrialStore(sweeps, TimeSpan.FromSeconds(1))) { }
        foreach (var path in new[] { runs, sweeps })
        {
            using var raw = new SqliteConnection($"Data Source={path};Pooling=False");
            raw.Open();
            Assert.Equal("wal", Pragma(raw, "journal_mode"));
        }
        Assert.Equal($"run database {_dir} is a directory, not a file",
            Assert.Throws<IOException>(() => new SqliteRunStore(_dir)).Message);
        Assert.Equal($"sweep store {_dir} is a directory, not a file",
            Assert.Throws<IOException>(() => new SqliteTrialStore(_dir)).Message);
    }
}
