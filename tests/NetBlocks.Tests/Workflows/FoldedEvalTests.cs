using System.Text.Json;
using NetBlocks.Serialization;
using NetBlocks.Tests.Analysis;
using NetBlocks.Tests.Cli;
using NetBlocks.Tests.Nn;
using NetBlocks.Workflows;

namespace NetBlocks.Tests.Workflows;

/// <summary>
/// Issue #15 end to end: `netblocks eval` runs under the inference plan by default and as declared with --no-fold; on a
/// small generated IDX set both give the same accuracy and confusion matrix and losses within 1e-4, and the plan folds
/// every batch norm of the checkpoint's model.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class FoldedEvalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-fold-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EvalWithAndWithoutTheFoldAgrees()
    {
        var data = TinyFashionMnist.Create(Path.Combine(_dir, "data"), train: 10, test: 60);
        const string name = "vgg-bn:1x8,2x16,fc=32";
        var model = InferencePlanTests.Trained(name, [1, 1, 32, 32]);
        var path = Path.Combine(_dir, "model.safetensors");
        Checkpoint.Save(model, path, new Dictionary<string, string> { ["model"] = name, ["resize"] = "32", ["classes"] = "10" });

        var folded = InferenceModel.Load(path);
        var declared = InferenceModel.Load(path, fold: false);
        Assert.Equal(3, folded.Plan!.Folds.Count);
        Assert.Null(declared.Plan);

        var (fc, fout, ferr) = CliRunner.Run("eval", path, "--data", data, "--no-verify", "--json");
        var (dc, dout, derr) = CliRunner.Run("eval", path, "--data", data, "--no-verify", "--json", "--no-fold");
        Assert.True(fc == 0, ferr);
        Assert.True(dc == 0, derr);
        var f = JsonDocument.Parse(fout.Trim().Split('\n')[^1]).RootElement;
        var d = JsonDocument.Parse(dout.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(60, f.GetProperty("images").GetInt32());
        Assert.Equal(d.GetProperty("accuracy").GetDouble(), f.GetProperty("accuracy").GetDouble());
        Assert.Equal(d.GetProperty("confusion").ToString(), f.GetProperty("confusion").ToString());
        double lf = f.GetProperty("loss").GetDouble(), ld = d.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(lf - ld) <= 1e-4 * Math.Max(1, Math.Abs(ld)), $"loss folded {lf}, declared {ld}");

        // predict takes the option too
        var (pc, _, perr) = CliRunner.Run("predict", path, "--index", "0", "--data", data, "--no-verify", "--no-fold");
        Assert.True(pc == 0, perr);
    }
}
