using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Models;

/// <summary>The seeds' printed module trees and layer summaries, reproduced by the presets.</summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class SeedPrintoutTests
{
    /// <summary>Seed 002, exercise 1: print(net) of d2l's training VGG ((1,16),(1,32),(2,64),(2,128),(2,128)) at 1×224×224.</summary>
    private const string Vgg11Over4 =
        """
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

    /// <summary>Seed 002, exercise 4: print(net) of the small VGG-19 (conv_arch widths // 4) at 1×224×224.</summary>
    private const string Vgg19Over4 =
        """
        Sequential(
          (0): Sequential(
            (0): Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (1): ReLU()
            (2): Conv2d(16, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (3): ReLU()
            (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
          )
          (1): Sequential(
            (0): Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (1): ReLU()
            (2): Conv2d(32, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (3): ReLU()
            (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
          )
          (2): Sequential(
            (0): Conv2d(32, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (1): ReLU()
            (2): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (3): ReLU()
            (4): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (5): ReLU()
            (6): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (7): ReLU()
            (8): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
          )
          (3): Sequential(
            (0): Conv2d(64, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (1): ReLU()
            (2): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (3): ReLU()
            (4): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (5): ReLU()
            (6): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (7): ReLU()
            (8): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
          )
          (4): Sequential(
            (0): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (1): ReLU()
            (2): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (3): ReLU()
            (4): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (5): ReLU()
            (6): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
            (7): ReLU()
            (8): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
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

    [Theory]
    [InlineData("vgg11/4", Vgg11Over4)]
    [InlineData("vgg19/4", Vgg19Over4)]
    public void PrintedTreeEqualsSeed002(string name, string printed)
    {
        Assert.Equal(printed.ReplaceLineEndings("\n"), ModelFixtures.Built(name, 1, 1, 224, 224).ToString());
    }

    /// <summary>d2l's layer_summary: "&lt;type&gt; output shape: torch.Size([…])" for each top-level layer.</summary>
    private static List<string> LayerSummary(string name, params int[] input)
    {
        var m = ModelFixtures.Built(name, input);
        var rows = new List<string>();
        var shape = input;
        foreach (var (_, child) in m.Children)
        {
            shape = child.Build(shape);
            rows.Add($"{child.TypeName} output shape: torch.Size([{string.Join(", ", shape)}])");
        }
        return rows;
    }

    [Fact]
    public void Vgg11SummaryEqualsSeed001()
    {
        // seed 001 (and 002, exercise 1 with its own VGG-11): VGG(arch=((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))).layer_summary((1, 1, 224, 224))
        string[] printed =
        [
            "Sequential output shape: torch.Size([1, 64, 112, 112])",
            "Sequential output shape: torch.Size([1, 128, 56, 56])",
            "Sequential output shape: torch.Size([1, 256, 28, 28])",
            "Sequential output shape: torch.Size([1, 512, 14, 14])",
            "Sequential output shape: torch.Size([1, 512, 7, 7])",
            "Flatten output shape: torch.Size([1, 25088])",
            "Linear output shape: torch.Size([1, 4096])",
            "ReLU output shape: torch.Size([1, 4096])",
            "Dropout output shape: torch.Size([1, 4096])",
            "Linear output shape: torch.Size([1, 4096])",
            "ReLU output shape: torch.Size([1, 4096])",
            "Dropout output shape: torch.Size([1, 4096])",
            "Linear output shape: torch.Size([1, 10])",
        ];
        Assert.Equal(printed, LayerSummary("vgg11", 1, 1, 224, 224));
    }

    [Fact]
    public void Vgg19Over4SummaryEqualsSeed002()
    {
        string[] printed =
        [
            "Sequential output shape: torch.Size([1, 16, 112, 112])",
            "Sequential output shape: torch.Size([1, 32, 56, 56])",
            "Sequential output shape: torch.Size([1, 64, 28, 28])",
            "Sequential output shape: torch.Size([1, 128, 14, 14])",
            "Sequential output shape: torch.Size([1, 128, 7, 7])",
            "Flatten output shape: torch.Size([1, 6272])",
            "Linear output shape: torch.Size([1, 4096])",
            "ReLU output shape: torch.Size([1, 4096])",
            "Dropout output shape: torch.Size([1, 4096])",
            "Linear output shape: torch.Size([1, 4096])",
            "ReLU output shape: torch.Size([1, 4096])",
            "Dropout output shape: torch.Size([1, 4096])",
            "Linear output shape: torch.Size([1, 10])",
        ];
        Assert.Equal(printed, LayerSummary("vgg19/4", 1, 1, 224, 224));
    }

    [Fact]
    public void NinSummaryAt224()
    {
        // NiN().layer_summary((1, 1, 224, 224)) in d2l (seed 004): 224 → 54 (11×11, stride 4) → 26 → 12 → 5 → 1
        string[] printed =
        [
            "Sequential output shape: torch.Size([1, 96, 54, 54])",
            "MaxPool2d output shape: torch.Size([1, 96, 26, 26])",
            "Sequential output shape: torch.Size([1, 256, 26, 26])",
            "MaxPool2d output shape: torch.Size([1, 256, 12, 12])",
            "Sequential output shape: torch.Size([1, 384, 12, 12])",
            "MaxPool2d output shape: torch.Size([1, 384, 5, 5])",
            "Dropout output shape: torch.Size([1, 384, 5, 5])",
            "Sequential output shape: torch.Size([1, 10, 5, 5])",
            "AdaptiveAvgPool2d output shape: torch.Size([1, 10, 1, 1])",
            "Flatten output shape: torch.Size([1, 10])",
        ];
        Assert.Equal(printed, LayerSummary("nin", 1, 1, 224, 224));
    }

    [Fact]
    public void RegNetX32SummaryAt96()
    {
        // RegNetX32().layer_summary((1, 1, 96, 96)) in d2l (seed 003): the stem and each stage halve the resolution
        string[] printed =
        [
            "Sequential output shape: torch.Size([1, 32, 48, 48])",
            "Sequential output shape: torch.Size([1, 32, 24, 24])",
            "Sequential output shape: torch.Size([1, 80, 12, 12])",
            "Sequential output shape: torch.Size([1, 10])",
        ];
        Assert.Equal(printed, LayerSummary("regnetx32", 1, 1, 96, 96));
    }
}
