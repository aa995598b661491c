using System.CommandLine;
using System.Globalization;
using NetBlocks.Analysis;
using NetBlocks.Models;
using NetBlocks.Reporting;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks summary MODEL --input C,H,W`: d2l's layer_summary with parameters, MACs, activations and memory.</summary>
internal static class SummaryCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "a preset (vgg11, nin, regnetx32, …; see `netblocks models`) or a spec (vgg:1x16,1x32,…)" };
        var input = InputOption();
        var batch = BatchOption();
        var classes = ClassesOption();
        var depth = new Option<int>("--depth") { Description = "rows down to this depth (1: the top-level blocks, as d2l's layer_summary)", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of the table" };
        var tree = new Option<bool>("--tree") { Description = "also print the module tree as PyTorch prints it" };
        var command = new Command("summary", "Per-layer output shapes, parameters, MACs and activations, with totals and memory, computed from shapes without running the network")
        {
            model, input, batch, classes, depth, json, tree,
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            var name = parse.GetValue(model)!;
            int d = parse.GetValue(depth);
            if (d < 0) throw new ArgumentException($"--depth must be 0 or more, got {d}");
            var (module, analysis) = Analyze(name, parse.GetValue(input), parse.GetValue(batch), parse.GetValue(classes));
            var output = parse.InvocationConfiguration.Output;
            bool withTree = parse.GetValue(tree);
            if (parse.GetValue(json))
            {
                output.Write(AnalysisReport.SummaryJson(analysis, d, withTree ? module.ToString() : null));
                return 0;
            }
            if (withTree) output.Write(module + "\n\n");
            output.Write(AnalysisReport.Summary(analysis, d));
            return 0;
        }));
        return command;
    }

    internal static Option<string?> InputOption() => new("--input")
    {
        Description = "input C,H,W (default: the preset's, e.g. 1,224,224 for VGG)",
    };

    internal static Option<int> BatchOption() => new("--batch")
    {
        Description = "batch size N the shapes, MACs and memory are computed for",
        DefaultValueFactory = _ => 1,
    };

    internal static Option<int> ClassesOption() => new("--classes")
    {
        Description = "number of classes of the last layer",
        DefaultValueFactory = _ => 10,
    };

    /// <summary>Builds <paramref name="name"/> for (N, C, H, W) and analyses it; the module comes back materialised.</summary>
    internal static (NetBlocks.Nn.Module Module, ModelAnalysis Analysis) Analyze(string name, string? input, int batch, int classes)
    {
        if (batch < 1) throw new ArgumentException($"--batch must be at least 1, got {batch}");
        if (classes < 1) throw new ArgumentException($"--classes must be at least 1, got {classes}");
        var chw = input is null ? ModelZoo.DefaultInput(name) : ParseInput(input);
        using var _ = NetBlocks.Nn.ParameterDevice.Use(NetBlocks.Tensors.Device.Meta); // sizing needs shapes, not weights
        var module = ModelZoo.CreateSized(name, [batch, .. chw], new ModelOptions(InputChannels: chw[0], Classes: classes));
        return (module, ModelAnalyzer.Analyze(module, [batch, .. chw], name));
    }

    /// <summary>"1,224,224" → [1, 224, 224]; anything else is an error that shows the expected form.</summary>
    internal static int[] ParseInput(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        bool ok = parts.Length == 3;
        for (int i = 0; ok && i < 3; i++)
            ok = int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) && values[i] > 0;
        if (!ok)
            throw new FormatException($"--input expects C,H,W: three positive integers separated by commas (channels, height, width), e.g. 1,224,224; got '{text}'");
        return values;
    }
}
