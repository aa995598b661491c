using System.CommandLine;
using NetBlocks.Analysis;
using NetBlocks.Models;
using NetBlocks.Reporting;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks models`: every preset with its description, parameters and MACs at its default input.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var classes = SummaryCommand.ClassesOption();
        var family = new Option<string?>("--family") { Description = "only this family's presets: vgg, nin, alexnet, anynet or regnet" };
        var json = new Option<bool>("--json") { Description = "print one JSON object {\"presets\": […]} instead of the table" };
        var command = new Command("models", "List the model presets with parameters and MACs at their default input (batch 1)")
        {
            family, classes, json,
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            int k = parse.GetValue(classes);
            if (k < 1) throw new ArgumentException($"--classes must be at least 1, got {k}");
            var presets = ModelZoo.Presets;
            if (parse.GetValue(family) is { } f)
            {
                var families = presets.Select(p => p.Family).Distinct().ToList();
                if (!families.Contains(f)) throw new ArgumentException($"unknown family '{f}' (known: {string.Join(", ", families)})");
                presets = presets.Where(p => p.Family == f).ToList();
            }
            var rows = Analyze(presets, k);
            parse.InvocationConfiguration.Output.Write(parse.GetValue(json) ? ModelList.Json(rows) : ModelList.Table(rows));
            return 0;
        }));
        return command;
    }

    /// <summary>Each preset analysed at (1, default input), sized without initialising its weights.</summary>
    private static IReadOnlyList<(ModelPreset Preset, ModelAnalysis Analysis)> Analyze(IReadOnlyList<ModelPreset> presets, int classes)
    {
        using var _ = NetBlocks.Nn.ParameterDevice.Use(NetBlocks.Tensors.Device.Meta); // shapes only: no weights allocated
        return presets.Select(p => (p, ModelAnalyzer.Analyze(
            ModelZoo.Create(p.Name, new ModelOptions(InputChannels: p.DefaultInput[0], Classes: classes)), [1, .. p.DefaultInput], p.Name))).ToList();
    }
}
