using System.Diagnostics;
using Microsoft.Data.Sqlite;
using NetBlocks.Training;
using NetBlocks.Training.Runs;

namespace NetBlocks.Tests.Training.Runs;

public class SqliteRunStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-runs-").FullName;
    private string DbPath => Path.Combine(_dir, "runs", "runs.db");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly DateTime T0 = new(2025, 1, 31, 9, 15, 0, DateTimeKind.Utc);

    internal static TrainingSettings Settings(string model = "resnet18", int epochs = 10) => new()
    {
        Model = model, Resize = 96, Epochs = epochs, Batch = 64, LearningRate = 0.05f, Momentum = 0.9f, WeightDecay = 5e-4f,
        Nesterov = true, Schedule = "cosine:2", GradientClip = 1.5f, Seed = 42, LimitTrain = 1000, LimitVal = 200, Threads = 3,
        Augment = true, Classes = 10,
    };

    private static EpochMetrics Epoch(int epoch, double valAcc) =>
        new(epoch, 1.0 / epoch, 0.5 + epoch / 100.0, 1.1 / epoch, valAcc, 12.5 * epoch, 1000 + epoch);

    private SqliteRunStore Open(DateTime? now = null, TimeSpan? busyTimeout = null) =>
        new(DbPath, busyTimeout ?? TimeSpan.FromSeconds(5), now is { } n ? () => n : null);

    [Fact]
    public void EveryFieldRoundTripsThroughTheFile()
    {
        var started = T0;
        var ended = T0.AddMinutes(62).AddSeconds(3).AddTicks(1234567);
        long id;
        using (var store = Open(now: ended))
        {
            id = store.CreateRun(Settings(), "runs/1-resnet18", started);
            store.RecordEpoch(id, Epoch(1, 0.71));
            store.RecordEpoch(id, new EpochMetrics(2, 0.25, 0.9, double.NaN, double.PositiveInfinity, 3.25, 1e6));
            store.RecordCheckpoint(id, 1, "runs/1-resnet18/epoch-001.safetensors");
            store.RecordCheckpoint(id, 2, "runs/1-resnet18/epoch-002.safetensors");
            store.SetStatus(id, RunStatus.Interrupted, "stopped at epoch 2: resume with `netblocks train --resume runs/1-resnet18`");
        }

        using var reopened = Open();
        var run = reopened.GetRun(id)!;
        Assert.Equal(new RunSummary(id, "resnet18", RunStatus.Interrupted, started, ended, 2, 10, double.PositiveInfinity,
            "stopped at epoch 2: resume with `netblocks train --resume runs/1-resnet18`"), run.Summary);
        Assert.Equal(DateTimeKind.Utc, run.Summary.StartedUtc.Kind);
        Assert.Equal(DateTimeKind.Utc, run.Summary.EndedUtc!.Value.Kind);
        Assert.Equal(Settings(), run.Settings);
        Assert.Equal([Epoch(1, 0.71), new EpochMetrics(2, 0.25, 0.9, double.NaN, double.PositiveInfinity, 3.25, 1e6)], run.Epochs);
        Assert.Equal([(1, "runs/1-resnet18/epoch-001.safetensors"), (2, "runs/1-resnet18/epoch-002.safetensors")], run.Checkpoints);
        Assert.Equal("runs/1-resnet18", run.OutputDirectory);
        Assert.Equal([run.Summary], reopened.ListRuns());
    }

    [Fact]
    public void DatesAreStoredAsIso8601Utc()
    {
        using var store = Open(now: T0.AddHours(1));
        var local = new DateTime(2025, 1, 31, 10, 0, 0, DateTimeKind.Local);
        var id = store.CreateRun(Settings(), "out", local);
        store.SetStatus(id, RunStatus.Completed);
        Assert.Equal(local.ToUniversalTime(), store.GetRun(id)!.Summary.StartedUtc);

        using var raw = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT ended_utc, status FROM runs";
        using var reader = command.ExecuteReader();
        reader.Read();
        Assert.Equal("2025-01-31T10:15:00.0000000Z", reader.GetString(0));
        Assert.Equal("completed", reader.GetString(1));
    }

    [Fact]
    public void StatusChangesStampTheEndAndRunningClearsIt()
    {
        using var store = Open(now: T0.AddMinutes(5));
        var id = store.CreateRun(Settings(), "out", T0);
        Assert.Equal((RunStatus.Running, (DateTime?)null, (string?)null), Status(store, id));

        store.SetStatus(id, RunStatus.Failed, "loss became NaN at epoch 3");
        Assert.Equal((RunStatus.Failed, T0.AddMinutes(5), "loss became NaN at epoch 3"), Status(store, id));

        store.SetStatus(id, RunStatus.Running); // resumed
        Assert.Equal((RunStatus.Running, null, null), Status(store, id));

        store.SetStatus(id, RunStatus.Completed);
        Assert.Equal((RunStatus.Completed, T0.AddMinutes(5), null), Status(store, id));

        static (RunStatus, DateTime?, string?) Status(SqliteRunStore store, long id)
        {
            var s = store.GetRun(id)!.Summary;
            return (s.Status, s.EndedUtc, s.Message);
        }
    }

    [Fact]
    public void ReRecordingAnEpochOnResumeReplacesIt()
    {
        using var store = Open();
        var id = store.CreateRun(Settings(), "out", T0);
        store.RecordEpoch(id, Epoch(1, 0.70));
        store.RecordEpoch(id, Epoch(2, 0.75));
        store.RecordEpoch(id, Epoch(3, 0.76));
        store.RecordEpoch(id, Epoch(3, 0.80)); // resumed from the epoch-2 checkpoint, epoch 3 trained again

        var run = store.GetRun(id)!;
        Assert.Equal([Epoch(1, 0.70), Epoch(2, 0.75), Epoch(3, 0.80)], run.Epochs);
        Assert.Equal(3, run.Summary.EpochsDone);
        Assert.Equal(0.80, run.Summary.ValAccuracy);
    }

    [Fact]
    public void ACheckpointPathRecordedAgainMovesToTheNewEpoch()
    {
        using var store = Open();
        var id = store.CreateRun(Settings(), "out", T0);
        store.RecordCheckpoint(id, 1, "out/last.safetensors");
        store.RecordCheckpoint(id, 2, "out/best.safetensors");
        store.RecordCheckpoint(id, 3, "out/last.safetensors");
        Assert.Equal([(2, "out/best.safetensors"), (3, "out/last.safetensors")], store.GetRun(id)!.Checkpoints);
    }

    [Fact]
    public void ListRunsIsNewestFirstWithEpochsDoneAndTheLastValAccuracy()
    {
        using var store = Open();
        var old = store.CreateRun(Settings("vgg11", epochs: 2), "a", T0);
        var newest = store.CreateRun(Settings("nin", epochs: 4), "b", T0.AddHours(2));
        var middle = store.CreateRun(Settings("alexnet", epochs: 3), "c", T0.AddHours(1)); // recorded later, started earlier
        store.RecordEpoch(old, Epoch(2, 0.9));
        store.RecordEpoch(old, Epoch(1, 0.8)); // recorded out of order: "last" means the highest epoch
        store.RecordEpoch(middle, Epoch(1, double.NaN));

        var runs = store.ListRuns();
        Assert.Equal([newest, middle, old], runs.Select(r => r.Id));
        Assert.Equal([(0, 4, (double?)null), (1, 3, null), (2, 2, 0.9)], runs.Select(r => (r.EpochsDone, r.EpochsPlanned, r.ValAccuracy)));
        Assert.Equal([newest, middle], store.ListRuns(limit: 2).Select(r => r.Id));
        Assert.Equal((old, middle, 3), store.RunIdRange());
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ListRuns(0));
    }

    [Fact]
    public void AnUnknownRunIsNullToReadAndAnErrorNamingTheFileToWrite()
    {
        using var store = Open();
        Assert.Null(store.GetRun(7));
        Assert.Null(store.RunIdRange());
        var e = Assert.Throws<KeyNotFoundException>(() => store.RecordEpoch(7, Epoch(1, 0.5)));
        Assert.Equal($"no run 7 in {DbPath}", e.Message);
        Assert.Throws<KeyNotFoundException>(() => store.RecordCheckpoint(7, 1, "x"));
        Assert.Throws<KeyNotFoundException>(() => store.SetStatus(7, RunStatus.Failed));
        Assert.Empty(store.ListRuns());
    }

    [Fact]
    public void ATransactionThatThrowsMidwayLeavesNothing()
    {
        using var store = Open();
        var kept = store.CreateRun(Settings(), "out", T0);
        Assert.Throws<InvalidOperationException>(() => store.Write<int>(tx =>
        {
            Exec(tx, "INSERT INTO runs (model, status, started_utc, epochs_planned, settings_json, output_dir) " +
                     "VALUES ('vgg11', 'running', '2025-01-31T09:15:00.0000000Z', 10, '{}', 'x')");
            Exec(tx, $"INSERT INTO epochs (run_id, epoch, val_acc) VALUES ({kept}, 1, 0.5)");
            throw new InvalidOperationException("killed midway");
        }));

        Assert.Equal([kept], store.ListRuns().Select(r => r.Id));
        Assert.Empty(store.GetRun(kept)!.Epochs);

        static void Exec(SqliteTransaction tx, string sql)
        {
            using var command = tx.Connection!.CreateCommand();
            command.Transaction = tx;
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    [Fact]
    public void AReaderIsNotBlockedByAWriterAndSeesOnlyCommittedRecords()
    {
        using var writer = Open();
        using var reader = Open();
        var id = writer.CreateRun(Settings(), "out", T0);

        writer.Write(tx =>
        {
            using var command = tx.Connection!.CreateCommand();
            command.Transaction = tx;
            command.CommandText = $"INSERT INTO epochs (run_id, epoch, val_acc) VALUES ({id}, 1, 0.5)";
            command.ExecuteNonQuery();

            var clock = Stopwatch.StartNew();
            var seen = reader.ListRuns().Single(); // WAL: reads the last committed state without waiting
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"reader waited {clock.Elapsed}");
            Assert.Equal(0, seen.EpochsDone);
            return 0;
        });

        Assert.Equal(1, reader.ListRuns().Single().EpochsDone);
    }

    [Fact]
    public async Task ASecondWriterWaitsForTheFirstInsteadOfFailing()
    {
        using var first = Open();
        using var second = Open();
        var id = first.CreateRun(Settings(), "out", T0);
        Task? secondWrite = null;

        first.Write(tx =>
        {
            secondWrite = Task.Run(() => second.RecordEpoch(id, Epoch(1, 0.5)));
            Thread.Sleep(200); // hold the write lock while the other connection tries to write
            Assert.False(secondWrite.IsCompleted);
            return 0;
        });

        await secondWrite!.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([Epoch(1, 0.5)], first.GetRun(id)!.Epochs);
    }

    [Fact]
    public void AWriterThatStaysLockedOutPastTheTimeoutGetsAnErrorNamingTheFile()
    {
        using var first = Open();
        using var second = Open(busyTimeout: TimeSpan.FromMilliseconds(100));
        var id = first.CreateRun(Settings(), "out", T0);
        first.Write(tx =>
        {
            var e = Assert.Throws<IOException>(() => second.RecordEpoch(id, Epoch(1, 0.5)));
            Assert.Contains(DbPath, e.Message);
            return 0;
        });
    }

    [Fact]
    public void ACorruptFileGivesAnErrorNamingIt()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        File.WriteAllText(DbPath, new string('x', 4096));
        var e = Assert.Throws<InvalidDataException>(() => Open());
        Assert.StartsWith($"{DbPath} is not a NetBlocks run database or is corrupt", e.Message);
    }

    [Fact]
    public void AFileFromANewerNetBlocksIsRefused()
    {
        using (Open()) { }
        using (var raw = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = $"UPDATE schema_version SET version = {SqliteRunStore.SchemaVersion + 1}";
            command.ExecuteNonQuery();
        }
        var e = Assert.Throws<InvalidDataException>(() => Open());
        Assert.Contains(DbPath, e.Message);
        Assert.Contains("upgrade NetBlocks", e.Message);
    }

    [Fact]
    public void TheFileIsInWalModeWithASchemaVersion()
    {
        using (Open()) { }
        using (Open()) { } // reopening an up-to-date file migrates nothing
        using var raw = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "SELECT group_concat(version) FROM schema_version";
        Assert.Equal(SqliteRunStore.SchemaVersion.ToString(), command.ExecuteScalar());
    }

    [Fact]
    public void TheDefaultDatabaseIsRunsDbUnderTheOutRootUnlessTheEnvironmentNamesOne()
    {
        Assert.Equal(Path.Combine("./runs", "runs.db"), RunStorePaths.DefaultDatabase(RunStorePaths.DefaultOutRoot, null));
        Assert.Equal(Path.Combine("exp", "runs.db"), RunStorePaths.DefaultDatabase("exp", ""));
        Assert.Equal("/data/all-runs.db", RunStorePaths.DefaultDatabase("exp", "/data/all-runs.db"));
    }
}
