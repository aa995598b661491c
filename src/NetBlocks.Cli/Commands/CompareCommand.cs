using System.CommandLine;
using NetBlocks.Reporting;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks compare MODEL… --input C,H,W`: parameters, MACs, FC vs conv share and memory side by side.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var models = new Argument<string[]>("models") { Description = "presets or specs to compare, e.g. alexnet vgg11 nin", Arity = ArgumentArity.OneOrMore };
        var input = SummaryCommand.InputOption();
        var batch = SummaryCommand.BatchOption();
        var classes = SummaryCommand.ClassesOption();
        var json = new Option<bool>("--json") { Description = "print one JSON object {\"models\": […]} instead of the table" };
        var command = new Command("compare", "Models side by side: parameters, MACs, the share of fully connected vs convolutional layers, activations, memory")
        {
            models, input, batch, classes, json,
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            var analyses = parse.GetValue(models)!
                .Select(m => SummaryCommand.Analyze(m, parse.GetValue(input), parse.GetValue(batch), parse.GetValue(classes)).Analysis)
                .ToList();
            parse.InvocationConfiguration.Output.Write(parse.GetValue(json) ? AnalysisReport.CompareJson(analyses) : AnalysisReport.Compare(analyses));
            return 0;
        }));
        return command;
    }
}
