using System.Text.Json;
using NetBlocks.Cli;
using NetBlocks.Training;
using NetBlocks.Training.Runs;

namespace NetBlocks.Tests.Training.Runs;

/// <summary>`netblocks runs` and `netblocks runs show` in-process, against a database in a temp directory.</summary>
public class RunsCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("netblocks-runscli-").FullName;
    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly DateTime T0 = new(2025, 1, 31, 9, 15, 0, DateTimeKind.Utc);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var code = App.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Database => Path.Combine(_root, "runs.db");

    /// <summary>Runs 1 (vgg11, 2 epochs, completed) and 2 (nin, recorded as running, nothing recorded yet).</summary>
    private void SeedTwoRuns()
    {
        Directory.CreateDirectory(Path.Combine(_root, "2-nin"));
        using var store = new SqliteRunStore(Database, utcNow: () => T0.AddMinutes(20));
        var vgg = store.CreateRun(new TrainingSettings { Model = "vgg11", Epochs = 2, Threads = 2 }, Path.Combine(_root, "1-vgg11"), T0);
        store.RecordEpoch(vgg, new EpochMetrics(1, 0.9, 0.70, 0.8, 0.72, 600, 100));
        store.RecordEpoch(vgg, new EpochMetrics(2, 0.5, 0.80, 0.6, 0.81, 600, 100));
        store.RecordCheckpoint(vgg, 2, Path.Combine(_root, "1-vgg11", "epoch-002.safetensors"));
        store.SetStatus(vgg, RunStatus.Completed);
        store.CreateRun(new TrainingSettings { Model = "nin", Epochs = 10, Threads = 2 }, Path.Combine(_root, "2-nin"), T0.AddHours(1));
        Directory.CreateDirectory(Path.Combine(_root, "1-vgg11"));
        File.WriteAllText(Path.Combine(_root, "1-vgg11", "curves.svg"), "<svg/>");
    }

    [Fact]
    public void RunsListsNewestFirst()
    {
        SeedTwoRuns();
        using var training = RunLock.TryAcquire(Path.Combine(_root, "2-nin")); // a live process trains run 2
        var (code, output, error) = Run("runs", "--out", _root);
        Assert.Equal((0, ""), (code, error));
        var lines = output.Split('\n');
        Assert.Equal("id  model  status     epochs  val_acc  started (UTC)     duration", lines[0]);
        Assert.StartsWith(" 2  nin    running      0/10        -  2025-01-31 10:15  ", lines[1]);
        Assert.Equal(" 1  vgg11  completed     2/2   0.8100  2025-01-31 09:15   20m 00s", lines[2]);

        (code, output, _) = Run("runs", "--out", _root, "--json", "--limit", "1");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(2, json.RootElement.EnumerateArray().Single().GetProperty("id").GetInt64());
    }

    [Fact]
    public void ARunRecordedAsRunningThatNoProcessTrainsIsShownAsInterrupted()
    {
        SeedTwoRuns(); // no process holds run 2: it was killed (kill -9, the out-of-memory killer)
        var (code, output, _) = Run("runs", "--out", _root);
        Assert.Equal(0, code);
        Assert.StartsWith(" 2  nin    interrupted    0/10", output.Split('\n')[1]);
        (code, output, _) = Run("runs", "show", "2", "--out", _root, "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("interrupted", json.RootElement.GetProperty("status").GetString());
        Assert.Contains("no process trains it", json.RootElement.GetProperty("message").GetString());
        Assert.Contains("`netblocks train nin --resume 2`", json.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public void ShowPrintsTheRunAndItsChartFiles()
    {
        SeedTwoRuns();
        var (code, output, error) = Run("runs", "show", "1", "--out", _root);
        Assert.Equal((0, ""), (code, error));
        Assert.Equal(RunFormatter.FormatDetails(ReadRun(1), [Path.Combine(_root, "1-vgg11", "curves.svg")], DateTime.UtcNow), output);

        (code, output, _) = Run("runs", "show", "1", "--out", _root, "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("vgg11", json.RootElement.GetProperty("settings").GetProperty("model").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("epochs").GetArrayLength());
    }

    [Fact]
    public void AnUnknownIdIsAnErrorNamingTheDatabaseAndTheIds()
    {
        SeedTwoRuns();
        var (code, output, error) = Run("runs", "show", "7", "--out", _root);
        Assert.Equal((1, ""), (code, output));
        Assert.Equal($"error: no run 7 in {Database} (runs: 1–2)\n", error);
    }

    [Fact]
    public void WithoutADatabaseThereAreNoRunsAndNoFileIsCreated()
    {
        var (code, output, _) = Run("runs", "--out", _root);
        Assert.Equal((0, $"no runs in {Database} (the file does not exist yet)\n"), (code, output));
        var (jsonCode, json, _) = Run("runs", "--out", _root, "--json");
        Assert.Equal((0, "[]\n"), (jsonCode, json));
        var (showCode, _, error) = Run("runs", "show", "1", "--out", _root);
        Assert.Equal((1, $"error: no run 1: {Database} does not exist (no runs recorded yet)\n"), (showCode, error));
        Assert.False(File.Exists(Database));
    }

    [Fact]
    public void ACorruptDatabaseIsOneErrorLineNamingIt()
    {
        File.WriteAllText(Database, "not a database, just text that is long enough to have a header................................");
        var (code, _, error) = Run("runs", "--out", _root);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {Database} is not a NetBlocks run database or is corrupt", error);
    }

    private RunDetails ReadRun(long id)
    {
        using var store = new SqliteRunStore(Database);
        return store.GetRun(id)!;
    }
}
