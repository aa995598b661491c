using System.Diagnostics;
using System.Text.Json;
using NetBlocks.Serialization;
using NetBlocks.Training;
using NetBlocks.Training.Runs;
using NetBlocks.Workflows;

namespace NetBlocks.Tests.Cli;

/// <summary>
/// Issue #10 for training runs: failed starts leave no run, a run is locked while it trains, --resume finds the run that
/// can be resumed and honours --epochs, the printed resume command works as printed, SIGTERM stops like Ctrl+C,
/// stale temporary files go, non-finite numbers print as JSON null, and memory that does not suffice is said up front.
/// </summary>
public class TrainRunLifecycleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-cli-runs-").FullName;
    private readonly string _data;
    private string Out => Path.Combine(_dir, "runs");

    public TrainRunLifecycleTests() => _data = TinyFashionMnist.Create(Path.Combine(_dir, "data"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>`train regnetx32 --epochs EPOCHS` with <paramref name="more"/>, and a tiny run's values for the options not in it.</summary>
    private string[] Train(int epochs, params string[] more)
    {
        var defaults = new (string Option, string Value)[]
        {
            ("--resize", "28"), ("--batch", "32"), ("--lr", "0.05"), ("--seed", "3"), ("--threads", "2"), ("--data", _data), ("--out", Out),
        };
        return ["train", "regnetx32", "--epochs", $"{epochs}", "--no-verify", "--json",
                .. defaults.Where(d => !more.Contains(d.Option)).SelectMany(d => new[] { d.Option, d.Value }), .. more];
    }

    private static JsonElement LastJson(string stdout) => JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;

    private IReadOnlyList<RunSummary> Runs()
    {
        var db = RunStorePaths.DefaultDatabase(Out);
        if (!File.Exists(db)) return [];
        using var store = new SqliteRunStore(db);
        return store.ListRuns();
    }

    private (long Id, string Dir) TrainOneEpoch()
    {
        var (code, stdout, stderr) = CliRunner.Run(Train(1));
        Assert.True(code == 0, stderr);
        var r = LastJson(stdout);
        return (r.GetProperty("run_id").GetInt64(), Path.GetDirectoryName(r.GetProperty("checkpoint").GetString()!)!);
    }

    [Fact]
    public void FailedStartsRecordNoRun()
    {
        var cases = new (string[] Args, string Message)[]
        {
            (Train(1, "--resize", "0"), "--resize must be a whole number ≥ 1, got 0"),
            (Train(1, "--lr", "-1"), "--lr must be a number > 0, e.g. 0.05, got -1"),
            (Train(1, "--data", Path.Combine(_dir, "nowhere")), "train-images-idx3-ubyte"),
            (["train", "vgg11/4", "--resize", "28", "--data", _data, "--no-verify", "--out", Out], "input 1×28×28 is too small for vgg11/4"),
        };
        foreach (var (args, message) in cases)
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.Equal(1, code);
            Assert.Contains(message, err);
        }
        Assert.Empty(Runs());
        Assert.Empty(Directory.EnumerateDirectories(Out));
    }

    [Fact]
    public void BareResumeSkipsRunsWithoutACheckpointAndRunsLockedByAnotherProcess()
    {
        var (first, firstDir) = TrainOneEpoch();
        long zombie;
        using (var store = new SqliteRunStore(RunStorePaths.DefaultDatabase(Out)))
        {
            store.SetStatus(first, RunStatus.Interrupted, "killed");
            // a later run that died before its first checkpoint: what a failed start used to leave behind
            var zombieDir = Directory.CreateDirectory(Path.Combine(Out, "zombie")).FullName;
            zombie = store.CreateRun(new TrainingSettings { Model = "regnetx32", Resize = 28 }, zombieDir, DateTime.UtcNow.AddMinutes(1));
        }

        using (var held = RunLock.TryAcquire(firstDir))
        {
            Assert.NotNull(held);
            var (code, _, err) = CliRunner.Run(Train(2, "--resume"));
            Assert.Equal(1, code);
            Assert.Contains($"run {zombie} has no checkpoint", err);
            Assert.Contains($"run {first} is being trained by another process", err);
            (code, _, err) = CliRunner.Run(Train(2, "--resume", $"{first}"));
            Assert.Equal(1, code);
            Assert.Contains($"run {first} is being trained by another process now", err);
        }

        var (rc, rout, rerr) = CliRunner.Run(Train(2, "--resume"));
        Assert.True(rc == 0, rerr);
        Assert.Contains($"resuming run {first} at epoch 2, batch 0", rerr);
        Assert.Equal(first, LastJson(rout).GetProperty("run_id").GetInt64());
        Assert.Equal(2, LastJson(rout).GetProperty("epochs").GetArrayLength());
    }

    [Fact]
    public void ResumeExtendsWithMoreEpochsRefusesOtherChangesAndDeletesStaleTemporaryFiles()
    {
        var (id, runDir) = TrainOneEpoch();
        var stale = Path.Combine(runDir, TrainingWorkflow.CheckpointFile + ".tmp-0123456789ab");
        File.WriteAllBytes(stale, new byte[1 << 20]);

        var (code, _, err) = CliRunner.Run(Train(2, "--resume", $"{id}", "--lr", "0.1"));
        Assert.Equal(1, code);
        Assert.Contains($"--lr 0.1 differs from run {id}'s 0.05", err);
        (code, _, err) = CliRunner.Run(["train", "nin", "--resume", $"{id}", "--out", Out, "--data", _data, "--no-verify"]);
        Assert.Equal(1, code);
        Assert.Contains($"run {id} trains regnetx32, not nin", err);
        (code, _, err) = CliRunner.Run(Train(1, "--resume", $"{id}"));
        Assert.Equal(1, code);
        Assert.Contains($"run {id} already completed all 1 epochs; to train it further, give more with --epochs", err);
        Assert.True(File.Exists(stale), "a refused resume must not touch the run");

        var (rc, rout, rerr) = CliRunner.Run(Train(3, "--resume", $"{id}"));
        Assert.True(rc == 0, rerr);
        Assert.Contains($"resuming run {id} at epoch 2, batch 0", rerr);
        Assert.Contains("epoch 3/3: train loss", rerr);
        Assert.Equal(3, LastJson(rout).GetProperty("epochs").GetArrayLength());
        Assert.False(File.Exists(stale), "the temporary file a killed checkpoint write left must be gone");
        var run = Assert.Single(Runs());
        Assert.Equal((RunStatus.Completed, 3, 3), (run.Status, run.EpochsDone, run.EpochsPlanned));
    }

    [Fact]
    public void TheResumeCommandCarriesDataAndNoVerifyQuotedForTheShell()
    {
        var request = new TrainRequest(new TrainingSettings { Model = "regnetx32" }, "/data/my fashion", "./runs", VerifyData: false);
        Assert.Equal("netblocks train regnetx32 --out ./runs --resume 4 --data '/data/my fashion' --no-verify",
            TrainingWorkflow.ResumeCommand(request, "regnetx32", 4));
        Assert.Equal("netblocks train regnetx32 --out ./runs --resume 4",
            TrainingWorkflow.ResumeCommand(request with { DataDir = null, VerifyData = true }, "regnetx32", 4));
    }

    [Fact]
    public void TheTimePerEpochIsPrintedFromTheFirstMeasuredSteps()
    {
        var (code, _, err) = CliRunner.Run(Train(1));
        Assert.True(code == 0, err);
        Assert.Matches(@"time: \d+\.\d{3} s per step \(measured over steps 2–4\) → about \S+ of training per epoch of 10 steps", err);
    }

    [Fact]
    public void ARunThatCannotFitInMemoryIsRefusedUpFrontWithTheEstimate()
    {
        // a container that leaves 1 MiB: RegNetX-32 at 28×28, batch 32 needs more
        var budget = new MemoryBudget(1 << 20, "the container's limit of 1.0 GiB, 1023 MiB in use");
        var settings = new TrainingSettings { Model = "regnetx32", Resize = 28, Batch = 32, Epochs = 1, LearningRate = 0.05f, Threads = 2 };
        var log = new StringWriter();
        var workflow = new TrainingWorkflow(log, new NetBlocks.Reporting.Terminal.ProgressReporter(log, interactive: false), () => budget);
        var e = Assert.Throws<InsufficientMemoryException>(() => workflow.Run(new TrainRequest(settings, _data, Out, VerifyData: false)));
        Assert.Matches(@"^not enough memory to train regnetx32 at 28×28 with batch 32: it needs at least [\d.]+ MiB \(weights, gradients and momentum [\d.]+ MiB, " +
                       @"activations [\d.]+ MiB for the batch\), but only 1 MiB is available \(the container's limit of 1.0 GiB, 1023 MiB in use\)\. " +
                       @"Even one image does not fit at 28×28: lower --resize \(now 28\) or use a smaller model\.$", e.Message);
        Assert.Empty(Runs());
        Assert.Empty(Directory.EnumerateDirectories(Out));
    }

    [Fact]
    public void EvalAndPredictOfNaNWeightsPrintJsonNull()
    {
        var (_, runDir) = TrainOneEpoch();
        var weights = Path.Combine(runDir, TrainingWorkflow.WeightsFile);
        var file = SafeTensors.Read(weights);
        SafeTensors.Write(weights, file.Tensors.Values.Select(t => new SafeTensor(t.Name, t.Shape, t.Data.Select(_ => float.NaN).ToArray())).ToList(), file.Metadata);

        var (ec, eout, eerr) = CliRunner.Run("eval", weights, "--data", _data, "--no-verify", "--json");
        Assert.True(ec == 0, eerr);
        Assert.Equal(JsonValueKind.Null, LastJson(eout).GetProperty("loss").ValueKind);
        var (pc, pout, perr) = CliRunner.Run("predict", weights, "--index", "0", "--data", _data, "--no-verify", "--json");
        Assert.True(pc == 0, perr);
        var top = LastJson(pout).GetProperty("predictions")[0].GetProperty("top")[0];
        Assert.Equal(JsonValueKind.Null, top.GetProperty("probability").ValueKind);
    }

    [Fact]
    public void SigtermStopsTrainingLikeCtrlCAndThePrintedResumeCommandWorks()
    {
        var data = TinyFashionMnist.Create(Path.Combine(_dir, "data-2000"), train: 2000);
        string[] args = ["train", "regnetx32", "--resize", "28", "--epochs", "2", "--batch", "32", "--lr", "0.05", "--seed", "3",
                         "--threads", "2", "--data", data, "--no-verify", "--out", Out];
        var (exit, err) = ChildProcess.RunAndSignal([.. args, "--hold-at", "epoch 2/2 "], "holding after this line", "TERM");
        Assert.Equal(130, exit);
        Assert.Contains("SIGTERM: stopping after this step", err);
        var run = Assert.Single(Runs());
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.Equal(1, run.EpochsDone);
        var (_, progress) = TrainingCheckpoint.ReadState(Path.Combine(Directory.GetDirectories(Out).Single(), TrainingWorkflow.CheckpointFile));
        Assert.Equal(1, progress.Epoch);
        Assert.True(progress.BatchInEpoch > 0, "the checkpoint is the interrupt checkpoint, mid-epoch");

        var printed = err.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("netblocks train ", StringComparison.Ordinal));
        Assert.Equal($"netblocks train regnetx32 --out {Out} --resume {run.Id} --data {data} --no-verify", printed);
        var (rc, rout, rerr) = CliRunner.Run(printed.Split(' ')[1..]);
        Assert.True(rc == 0, rerr);
        Assert.Matches($@"resuming run {run.Id} at epoch 2, batch [1-9]", rout);
        Assert.Equal(RunStatus.Completed, Assert.Single(Runs()).Status);
    }
}

/// <summary>Runs the CLI as a real process and sends it a signal once its stderr shows a marker.</summary>
internal static class ChildProcess
{
    public static Process Start(string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "NetBlocks.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Starts `netblocks ARGS` and sends <paramref name="signal"/> (KILL, INT, TERM) once stderr or stdout shows <paramref name="marker"/>.</summary>
    public static (int Code, string Output) RunAndSignal(string[] args, string marker, string signal)
    {
        using var p = Start(args);
        var text = new System.Text.StringBuilder();
        var signalled = new ManualResetEventSlim();
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (text) text.AppendLine(e.Data);
            if (signalled.IsSet || !e.Data.Contains(marker)) return;
            signalled.Set();
            if (signal == "KILL") p.Kill(entireProcessTree: true);
            else Process.Start("kill", $"-{signal} {p.Id}")!.WaitForExit();
        }
        p.ErrorDataReceived += OnLine;
        p.OutputDataReceived += OnLine;
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        Assert.True(p.WaitForExit(240_000), "the process did not end");
        p.WaitForExit();
        Assert.True(signalled.IsSet, $"never saw '{marker}':\n{text}");
        lock (text) return (p.ExitCode, text.ToString());
    }
}
