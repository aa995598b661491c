using System.Text.Json;
using System.Text.RegularExpressions;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Cli;

[Collection(DrawsDefaultRandomCollection.Name)]
public class SummaryCommandTests
{
    [Fact]
    public void Vgg11RowsAreTheSeedsLayerSummaryWithCostsAndTotals()
    {
        var (code, output, error) = CliRunner.Run("summary", "vgg11", "--input", "1,224,224");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        var lines = output.Split('\n');
        Assert.Equal("vgg11: input 1×1×224×224 (N×C×H×W), output 1×10", lines[0]);
        Assert.StartsWith("name  type", lines[2], StringComparison.Ordinal);
        // the 13 rows d2l's layer_summary prints (seed 000), with parameters and MACs next to them
        var rows = lines.Skip(4).TakeWhile(l => l.Length > 0)
            .Select(l => Regex.Match(l, @"^(\S+)\s+(\S+)\s+(\[[^\]]*\])\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)$"))
            .ToList();
        Assert.Equal(13, rows.Count);
        Assert.All(rows, r => Assert.True(r.Success));
        Assert.Equal(
            ["Sequential [1, 64, 112, 112]", "Sequential [1, 128, 56, 56]", "Sequential [1, 256, 28, 28]", "Sequential [1, 512, 14, 14]",
             "Sequential [1, 512, 7, 7]", "Flatten [1, 25088]", "Linear [1, 4096]", "ReLU [1, 4096]", "Dropout [1, 4096]",
             "Linear [1, 4096]", "ReLU [1, 4096]", "Dropout [1, 4096]", "Linear [1, 10]"],
            rows.Select(r => $"{r.Groups[2].Value} {r.Groups[3].Value}"));
        Assert.Equal("102,764,544", rows[6].Groups[4].Value);      // Linear(25088, 4096): 25088·4096 + 4096
        Assert.Equal("102,760,448", rows[6].Groups[5].Value);
        Assert.Equal("2,774,532,096", rows[2].Groups[5].Value);    // 56²·(128·256 + 256·256)·9
        Assert.Matches(@"\nparameters\s+128,806,154  trainable 128,806,154, non-trainable 0; buffers 0", output);
        Assert.Matches(@"\n  fully connected\s+119,586,826  92\.8 %", output);
        Assert.Matches(@"\nMACs\s+7,547,232,256  7\.55 G; FLOPs = 2 × MACs = 15\.09 G", output);
        Assert.Matches(@"\n  conv\s+7,427,653,632  98\.4 %", output);
        Assert.Matches(@"\n  inference\s+\d+\.\d MiB  parameters \+ buffers \+ peak live activations", output);
    }

    [Fact]
    public void JsonIsOneObjectWithTheDocumentedFields()
    {
        var fx = AnalysisFixture.Load("vgg11_div4_224");
        var (code, output, _) = CliRunner.Run("summary", "vgg11/4", "--input", "1,224,224", "--batch", "2", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.Equal("vgg11/4", r.GetProperty("model").GetString());
        Assert.Equal([2, 1, 224, 224], r.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(fx.Params, r.GetProperty("params").GetInt64());
        Assert.Equal(fx.Params, r.GetProperty("trainable_params").GetInt64());
        Assert.Equal(2 * fx.Macs, r.GetProperty("macs").GetInt64());             // batch 2
        Assert.Equal(4 * fx.Macs, r.GetProperty("flops").GetInt64());
        Assert.Equal(2 * fx.Activations, r.GetProperty("activations").GetInt64());
        var m = r.GetProperty("memory");
        long paramsBytes = m.GetProperty("params_bytes").GetInt64();
        Assert.Equal(4 * fx.Params, paramsBytes);
        Assert.Equal(paramsBytes + m.GetProperty("buffers_bytes").GetInt64() + m.GetProperty("inference_peak_activation_bytes").GetInt64(),
            m.GetProperty("inference_bytes").GetInt64());
        Assert.Equal(3 * paramsBytes + m.GetProperty("saved_activation_bytes").GetInt64() + m.GetProperty("training_transient_bytes").GetInt64(),
            m.GetProperty("training_bytes").GetInt64());
        var layers = r.GetProperty("layers").EnumerateArray().ToList();
        var top = fx.Modules.Where(x => !x.Name.Contains('.')).ToList();
        Assert.Equal(top.Select(x => x.Name), layers.Select(l => l.GetProperty("name").GetString()));
        Assert.Equal(top.Select(x => x.Type), layers.Select(l => l.GetProperty("type").GetString()));
        Assert.Equal(top.Select(x => x.Params), layers.Select(l => l.GetProperty("params").GetInt64()));
        Assert.Equal(top.Select(x => 2 * x.Macs), layers.Select(l => l.GetProperty("macs").GetInt64()));
        Assert.Equal(top.Select(x => string.Join(",", x.Output.Skip(1).Prepend(2))),
            layers.Select(l => string.Join(",", l.GetProperty("output").EnumerateArray().Select(e => e.GetInt32()))));
    }

    [Fact]
    public void TreeIsPrintedAsPyTorchPrintsIt()
    {
        var (code, output, _) = CliRunner.Run("summary", "vgg11/4", "--tree", "--depth", "2");
        Assert.Equal(0, code);
        // seed 002, exercise 1: print(net) for VGG-11 with every width divided by 4, after a 1×1×224×224 input
        const string seed = """
            Sequential(
              (0): Sequential(
                (0): Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                (1): ReLU()
                (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
              )
              (1): Sequential(
                (0): Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                (1): ReLU()
                (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
              )
              (2): Sequential(
                (0): Conv2d(32, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                (1): ReLU()
                (2): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                (3): ReLU()
                (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
              )
              (3): Sequential(
                (0): Conv2d(64, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                (1): ReLU()
                (2): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                (3): ReLU()
                (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
              )
              (4): Sequential(
                (0): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                (1): ReLU()
                (2): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                (3): ReLU()
                (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
              )
              (5): Flatten(start_dim=1, end_dim=-1)
              (6): Linear(in_features=6272, out_features=4096, bias=True)
              (7): ReLU()
              (8): Dropout(p=0.5, inplace=False)
              (9): Linear(in_features=4096, out_features=4096, bias=True)
              (10): ReLU()
              (11): Dropout(p=0.5, inplace=False)
              (12): Linear(in_features=4096, out_features=10, bias=True)
            )
            """;
        Assert.StartsWith(seed.ReplaceLineEndings("\n") + "\n\nvgg11/4: input 1×1×224×224", output, StringComparison.Ordinal);
        // depth 2 shows the eight convolutions inside the blocks, indented under their block
        Assert.Equal(8, Regex.Matches(output, @"\n  \d\.\d\s+Conv2d ").Count);
        Assert.Contains("\n  2.2  Conv2d      [1, 64, 56, 56]", output);
    }

    [Fact]
    public void InputTooSmallIsOneErrorLineNamingTheLayer()
    {
        var (code, output, error) = CliRunner.Run("summary", "vgg11", "--input", "1,28,28");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Equal("error: input 1×28×28 is too small for vgg11: at layer 4.4 (MaxPool2d): max_pool2d: input (1, 512, 1, 1) " +
                     "padded by 0 is smaller than the 2×2 window; the smallest input that works is 32×32", line);   // the fifth block's pool
    }

    [Fact]
    public void MalformedInputSaysTheExpectedForm()
    {
        var (code, _, error) = CliRunner.Run("summary", "nin", "--input", "1,224");
        Assert.Equal(1, code);
        Assert.Equal("error: --input expects C,H,W: three positive integers separated by commas (channels, height, width), e.g. 1,224,224; got '1,224'\n", error);
        Assert.Equal(1, CliRunner.Run("summary", "nin", "--input", "1,0,224").Code);
        Assert.Equal(1, CliRunner.Run("summary", "nin", "--batch", "0").Code);
    }

    [Fact]
    public void UnknownModelSuggestsTheClosestPreset()
    {
        var (code, output, error) = CliRunner.Run("summary", "alexnett");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: unknown model 'alexnett'; did you mean 'alexnet'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedSpecShowsTheCaret()
    {
        var (code, _, error) = CliRunner.Run("summary", "vgg:1x", "--input", "1,32,32");
        Assert.Equal(1, code);
        Assert.StartsWith("error: malformed model spec: ", error, StringComparison.Ordinal);
        Assert.Contains("\n  vgg:1x\n", error);
        Assert.Contains("^", error);
    }

    [Fact]
    public void DefaultInputIsThePresets()
    {
        var (code, output, _) = CliRunner.Run("summary", "regnetx32", "--depth", "0");
        Assert.Equal(0, code);
        Assert.StartsWith("regnetx32: input 1×1×96×96 (N×C×H×W), output 1×10\n\nparameters", output, StringComparison.Ordinal);
        Assert.Matches(@"\nparameters\s+179,290  trainable 179,290, non-trainable 0; buffers 3,969 \(batch-norm", output);
        Assert.Matches(@"\nMACs\s+40,293,152 ", output);
    }
}
