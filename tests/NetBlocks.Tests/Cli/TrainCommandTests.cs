using System.Text.Json;

namespace NetBlocks.Tests.Cli;

/// <summary>`netblocks train`, `eval`, `predict` end to end on a tiny generated dataset, and interruptions of a real process.</summary>
public class TrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-cli-train-").FullName;
    private readonly string _data;

    public TrainCommandTests() => _data = TinyFashionMnist.Create(Path.Combine(_dir, "data"));

    /// <summary>
    /// For the process tests: 2000 training images, 63 batches an epoch, so that a signal sent at the first progress
    /// line of epoch 2 (about batch 7) lands well before the epoch ends, however fast the machine.
    /// </summary>
    private string LargerData() => TinyFashionMnist.Create(Path.Combine(_dir, "data-2000"), train: 2000);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] TrainArgs(string outDir, int epochs = 3, string? data = null) =>
        ["train", "regnetx32", "--resize", "28", "--epochs", $"{epochs}", "--batch", "32", "--lr", "0.05", "--seed", "3",
         "--threads", "2", "--data", data ?? _data, "--no-verify", "--out", outDir, "--json"];

    private static JsonElement LastJson(string stdout) => JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;

    /// <summary>The numbers of each epoch that must be identical between runs (not the timings).</summary>
    private static string Numbers(JsonElement result) => string.Join("; ", result.GetProperty("epochs").EnumerateArray().Select(e =>
        $"{e.GetProperty("epoch")} {e.GetProperty("train_loss").GetDouble():R} {e.GetProperty("train_acc").GetDouble():R} " +
        $"{e.GetProperty("val_loss").GetDouble():R} {e.GetProperty("val_acc").GetDouble():R}"));

    [Fact]
    public void TrainsEvaluatesPredictsAndRecordsTheRun()
    {
        var outDir = Path.Combine(_dir, "runs");
        var (code, stdout, stderr) = CliRunner.Run(TrainArgs(outDir));
        Assert.True(code == 0, stderr);
        var r = LastJson(stdout);
        Assert.Equal("regnetx32", r.GetProperty("model").GetString());
        Assert.True(r.GetProperty("run_id").GetInt64() >= 1);
        var epochs = r.GetProperty("epochs").EnumerateArray().ToArray();
        Assert.Equal(3, epochs.Length);
        foreach (var field in new[] { "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds", "images_per_s" })
            Assert.True(epochs[0].TryGetProperty(field, out _), $"missing {field}");
        Assert.True(epochs[^1].GetProperty("train_loss").GetDouble() < epochs[0].GetProperty("train_loss").GetDouble() * 0.8,
            "the training loss must fall");
        Assert.Equal(epochs[^1].GetProperty("val_acc").GetDouble(), r.GetProperty("val_acc").GetDouble());
        var checkpoint = r.GetProperty("checkpoint").GetString()!;
        Assert.True(File.Exists(checkpoint));
        var runDir = Path.GetDirectoryName(checkpoint)!;
        foreach (var f in new[] { "metrics.csv", "curves.svg", "curves.png", "model.safetensors" })
            Assert.True(File.Exists(Path.Combine(runDir, f)), $"missing {f}");
        Assert.Equal(4, File.ReadAllLines(Path.Combine(runDir, "metrics.csv")).Length);
        Assert.Contains("epoch 3/3: train loss", stderr);

        var (ec, eout, eerr) = CliRunner.Run("eval", Path.Combine(runDir, "model.safetensors"), "--data", _data, "--no-verify", "--json");
        Assert.True(ec == 0, eerr);
        var ev = LastJson(eout);
        Assert.Equal(120, ev.GetProperty("images").GetInt32());
        Assert.Equal(r.GetProperty("val_acc").GetDouble(), ev.GetProperty("accuracy").GetDouble(), 9);
        var confusion = ev.GetProperty("confusion").EnumerateArray().Select(row => row.EnumerateArray().Sum(v => v.GetInt64())).ToArray();
        Assert.Equal(10, confusion.Length);
        Assert.All(confusion, total => Assert.Equal(12, total));

        var (tc, tout, _) = CliRunner.Run("eval", checkpoint, "--data", _data, "--no-verify");
        Assert.Equal(0, tc);
        Assert.Contains("regnetx32 at 28×28 on 120 test images", tout);
        Assert.Contains("ankle boot", tout);

        var (pc, pout, perr) = CliRunner.Run("predict", checkpoint, "--index", "0", "--index", "5", "--data", _data, "--no-verify", "--json");
        Assert.True(pc == 0, perr);
        var preds = LastJson(pout).GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(2, preds.Length);
        Assert.Equal("t-shirt", preds[0].GetProperty("truth").GetString());
        var top = preds[0].GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(3, top.Length);
        Assert.True(top[0].GetProperty("probability").GetDouble() >= top[1].GetProperty("probability").GetDouble());

        var (rc, rout, _) = CliRunner.Run("runs", "--out", outDir);
        Assert.Equal(0, rc);
        Assert.Contains("regnetx32", rout);
        Assert.Contains("completed", rout);
    }

    [Fact]
    public void BadArgumentsAreOneClearLine()
    {
        var (code, _, err) = CliRunner.Run("train", "vgg11/4", "--resize", "28", "--data", _data, "--no-verify", "--out", Path.Combine(_dir, "r"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: input 1×28×28 is too small for vgg11/4", err);
        Assert.Contains("the smallest input that works is 32×32", err);
        (code, _, err) = CliRunner.Run("train", "regnetx32", "--schedule", "linear", "--data", _data);
        Assert.Equal(1, code);
        Assert.Contains("unknown schedule 'linear'", err);
        (code, _, err) = CliRunner.Run("train", "regnetx32", "--resize", "28", "--data", Path.Combine(_dir, "nowhere"), "--out", Path.Combine(_dir, "r"));
        Assert.Equal(1, code);
        Assert.Contains("train-images-idx3-ubyte", err);
        (code, _, err) = CliRunner.Run("predict", Path.Combine(_dir, "missing.safetensors"), "--index", "0");
        Assert.Equal(1, code);
        Assert.Contains("missing.safetensors", err);
    }

    // ---------------------------------------------------------------- real processes: kill -9 and Ctrl+C

    [Fact]
    public void AKilledRunResumesToExactlyTheUninterruptedResult()
    {
        var data = LargerData();
        var (code, stdout, stderr) = CliRunner.Run(TrainArgs(Path.Combine(_dir, "full"), data: data));
        Assert.True(code == 0, stderr);
        var full = LastJson(stdout);

        var outDir = Path.Combine(_dir, "killed");
        var (_, err) = ChildProcess.RunAndSignal([.. TrainArgs(outDir, data: data), "--hold-at", "epoch 2/3 "], "holding after this line", "KILL");
        Assert.Contains("epoch 1/3: train loss", err);
        Assert.DoesNotContain("epoch 2/3: train loss", err);

        var (rc, rout, rerr) = CliRunner.Run([.. TrainArgs(outDir, data: data), "--resume"]);
        Assert.True(rc == 0, rerr);
        Assert.Contains("resuming run 1 at epoch 2, batch 0", rerr);
        Assert.Equal(Numbers(full), Numbers(LastJson(rout)));
    }

    [Fact]
    public void CtrlCStopsAfterTheStepWritesACheckpointAndPrintsTheResumeCommand()
    {
        var data = LargerData();
        var (code, stdout, stderr) = CliRunner.Run(TrainArgs(Path.Combine(_dir, "full"), data: data));
        Assert.True(code == 0, stderr);
        var full = LastJson(stdout);

        var outDir = Path.Combine(_dir, "interrupted");
        var (exit, err) = ChildProcess.RunAndSignal([.. TrainArgs(outDir, data: data), "--hold-at", "epoch 2/3 "], "holding after this line", "INT");
        Assert.Equal(130, exit);
        Assert.Contains("stopping after this step", err);
        Assert.Contains($"netblocks train regnetx32 --out {outDir} --resume 1", err);

        var (rc, rout, rerr) = CliRunner.Run([.. TrainArgs(outDir, data: data), "--resume", "1"]);
        Assert.True(rc == 0, rerr);
        Assert.Matches(@"resuming run 1 at epoch 2, batch [1-9][0-9]?\b", rerr);
        Assert.Equal(Numbers(full), Numbers(LastJson(rout)));
    }
}
