using System.Text.Json;
using System.Text.RegularExpressions;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Cli;

[Collection(DrawsDefaultRandomCollection.Name)]
public class CompareAndModelsCommandTests
{
    [Fact]
    public void CompareShowsTheFullyConnectedShareSideBySide()
    {
        var (code, output, error) = CliRunner.Run("compare", "alexnet", "nin", "--input", "1,224,224");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        string Row(string label) => Regex.Replace(output.Split('\n').First(l => l.StartsWith(label + " ", StringComparison.Ordinal))[label.Length..].Trim(), @"\s{2,}", " | ");
        Assert.Matches(@"^\s+alexnet\s+nin$", output.Split('\n')[0]);
        Assert.Equal("1×1×224×224 | 1×1×224×224", Row("input (N×C×H×W)"));
        Assert.Equal("46,764,746 | 1,992,166", Row("parameters"));
        Assert.Equal("938,146,176 | 762,297,352", Row("MACs"));
        var fcShares = output.Split('\n').Where(l => l.StartsWith("  FC share", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l["  FC share".Length..].Trim(), @"\s{2,}", " | ")).ToList();
        // AlexNet: 43,040,778 of 46,764,746 parameters and 43,032,576 of 938,146,176 MACs are fully connected; NiN has none
        Assert.Equal(["92.0 % | 0.0 %", "4.6 % | 0.0 %"], fcShares);
    }

    [Fact]
    public void CompareJsonHasOneEntryPerModel()
    {
        var nin = AnalysisFixture.Load("nin_224");
        var rx = AnalysisFixture.Load("regnetx32_96");
        var (code, output, _) = CliRunner.Run("compare", "nin", "regnetx32", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var models = doc.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["nin", "regnetx32"], models.Select(m => m.GetProperty("model").GetString()));
        Assert.Equal([nin.Params, rx.Params], models.Select(m => m.GetProperty("params").GetInt64()));
        Assert.Equal([nin.Macs, rx.Macs], models.Select(m => m.GetProperty("macs").GetInt64()));
        Assert.Equal([nin.FcParams, rx.FcParams], models.Select(m => m.GetProperty("fc_params").GetInt64()));
        Assert.Equal([224, 96], models.Select(m => m.GetProperty("input")[3].GetInt32()));  // each preset's own default input
        Assert.All(models, m => Assert.True(m.GetProperty("memory").GetProperty("training_bytes").GetInt64() > m.GetProperty("memory").GetProperty("inference_bytes").GetInt64()));
    }

    [Fact]
    public void ModelsListsPresetsWithParametersAndMacs()
    {
        var rx = AnalysisFixture.Load("regnetx32_96");
        var (code, output, _) = CliRunner.Run("models", "--family", "anynet", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var presets = doc.RootElement.GetProperty("presets").EnumerateArray().ToList();
        Assert.Contains("regnetx32", presets.Select(p => p.GetProperty("name").GetString()));
        Assert.All(presets, p => Assert.Equal("anynet", p.GetProperty("family").GetString()));
        var r = presets.Single(p => p.GetProperty("name").GetString() == "regnetx32");
        Assert.Equal(rx.Params, r.GetProperty("params").GetInt64());
        Assert.Equal(rx.Macs, r.GetProperty("macs").GetInt64());
        Assert.Equal([1, 96, 96], r.GetProperty("default_input").EnumerateArray().Select(e => e.GetInt32()));
        Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("description").GetString()));

        var text = CliRunner.Run("models", "--family", "anynet").Out;
        Assert.Matches(@"\nregnetx32\s+anynet\s+1×96×96\s+179,290\s+40\.29 M\s+d2l's 32-layer RegNetX", text);
        var bad = CliRunner.Run("models", "--family", "resnet");
        Assert.Equal(1, bad.Code);
        Assert.StartsWith("error: unknown family 'resnet' (known: vgg, nin, alexnet, anynet, regnet)", bad.Err, StringComparison.Ordinal);
    }
}
