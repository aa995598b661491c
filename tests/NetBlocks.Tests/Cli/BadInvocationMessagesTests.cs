namespace NetBlocks.Tests.Cli;

/// <summary>
/// Every kind of bad value for the options of the commands: one line that names the option (or argument) and the
/// value and says what is valid — never a .NET type name, parameter name or stack trace.
/// </summary>
public class BadInvocationMessagesTests : IDisposable
{
    private static readonly string Dir = Directory.CreateTempSubdirectory("netblocks-cli-bad-").FullName;
    private static readonly string AFile = Touch(Path.Combine(Dir, "a-file.txt"));
    private static readonly string Data = TinyFashionMnist.Create(Path.Combine(Dir, "data"), train: 20, test: 10);

    public void Dispose() { /* the folder is shared by the rows; removed by the OS's temp cleanup */ }

    private static string Touch(string path) { File.WriteAllText(path, "not a checkpoint"); return path; }

    /// <summary>`train regnetx32` with <paramref name="more"/>, and the defaults of a tiny run for the options not in it.</summary>
    private static string[] Train(params string[] more)
    {
        var defaults = new (string Option, string Value)[] { ("--resize", "28"), ("--epochs", "1"), ("--data", Data), ("--out", Path.Combine(Dir, "runs")) };
        return ["train", "regnetx32", "--no-verify", .. defaults.Where(d => !more.Contains(d.Option)).SelectMany(d => new[] { d.Option, d.Value }), .. more];
    }

    public static TheoryData<string[], string> Rows => new()
    {
        { Train("--epochs", "x"), "--epochs x: not a whole number" },
        { Train("--epochs", "0"), "--epochs must be a whole number ≥ 1, got 0" },
        { Train("--batch", "0"), "--batch must be a whole number ≥ 1, got 0" },
        { Train("--batch", "99999999999"), "--batch 99999999999: not a whole number (at most 2147483647)" },
        { Train("--resize", "-3"), "--resize must be a whole number ≥ 1, got -3" },
        { Train("--resize", "big"), "--resize big: not a whole number" },
        { Train("--lr", "1e999"), "--lr must be a number > 0, e.g. 0.05, got inf" },
        { Train("--lr", "nan"), "--lr must be a number > 0, e.g. 0.05, got nan" },
        { Train("--lr", "fast"), "--lr fast: not a number" },
        { Train("--momentum", "nan"), "--momentum must be a number from 0 (no momentum) up to but not including 1, e.g. 0.9, got nan" },
        { Train("--momentum", "1"), "--momentum must be a number from 0" },
        { Train("--weight-decay", "-1"), "--weight-decay must be a number ≥ 0, e.g. 5e-4, got -1" },
        { Train("--grad-clip", "1e999"), "--grad-clip must be a number ≥ 0 (0: no clipping), got inf" },
        { Train("--grad-clip", "inf"), "--grad-clip inf: not a number" },
        { Train("--nesterov"), "--nesterov needs a --momentum above 0" },
        { Train("--seed", "-1"), "--seed -1: not a whole number ≥ 0" },
        { Train("--threads", "0"), "--threads must be a whole number ≥ 1, got 0" },
        { Train("--limit-train", "-5"), "--limit-train must be a whole number ≥ 0 (0 = all images), got -5" },
        { Train("--data", AFile), $"--data {AFile} is a file; give the folder" },
        { Train("--out", AFile), $"--out {AFile} is a file; give a folder for the runs" },
        { ["train", "regnetx32", "--resize", "28", "--data", Data, "--out", Path.Combine(Dir, "runs")], "turn hash verification off (--no-verify on the command line" },
        { Train("--resume", "x7"), "--resume x7: no run with that id and no such checkpoint file" },
        { ["eval", AFile, "--batch", "1.5"], "--batch 1.5: not a whole number" },
        { ["eval", AFile, "--batch", "0"], "--batch must be a whole number ≥ 1, got 0" },
        { ["eval", AFile, "--limit", "-1"], "--limit must be a whole number ≥ 0 (0 = all images), got -1" },
        { ["eval", AFile, "--resize", "0"], "--resize must be a whole number ≥ 1, got 0" },
        { ["eval", Path.Combine(Dir, "missing.safetensors")], $"{Path.Combine(Dir, "missing.safetensors")}: no such checkpoint file" },
        { ["predict", AFile, "--index", "0", "--top", "0"], "--top must be a whole number ≥ 1, got 0" },
        { ["eval", AFile, "--threads", "-1"], "--threads must be a whole number ≥ 0 (0 = one per core), got -1" },
        { ["predict", AFile, "--index", "0", "--threads", "-2"], "--threads must be a whole number ≥ 0 (0 = one per core), got -2" },
        { ["eval", Dir], $"{Dir} is a folder; give a checkpoint file, e.g. {Path.Combine(Dir, "model.safetensors")}" },
        { ["predict", Dir, "--index", "0"], $"{Dir} is a folder; give a checkpoint file" },
        { ["eval", AFile], AFile },
        { ["predict", AFile, "--top", "x", "--index", "0"], "--top x: not a whole number" },
        { ["predict", AFile, "--index", "zero"], "--index zero: not a whole number" },
        { ["runs", "show", "abc", "--out", Dir], "<ID> abc: not a whole number" },
        { ["runs", "--limit", "0", "--out", Dir], "--limit must be positive, got 0" },
        { ["summary", "regnetx32", "--batch", "two"], "--batch two: not a whole number" },
        { ["bench", "train", "nin", "--resize", "x"], "--resize x: not a whole number" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void NamesTheOptionTheValueAndWhatIsValid(string[] args, string expected)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.StartsWith("error: ", stderr);
        foreach (var leak in new[] { "System.", "(Parameter", "   at ", "Exception" })
            Assert.DoesNotContain(leak, stderr);
        Assert.DoesNotContain("Usage:", stdout);
    }
}
