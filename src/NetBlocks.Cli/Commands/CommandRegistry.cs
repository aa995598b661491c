using System.CommandLine;

namespace NetBlocks.Cli.Commands;

/// <summary>Every `netblocks` subcommand, in the order `--help` lists them. One file per command.</summary>
internal static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        yield return TrainCommand.Create();
        yield return EvalCommand.Create();
        yield return PredictCommand.Create();
        yield return RunsCommand.Create();
        yield return ModelsCommand.Create();
        yield return SummaryCommand.Create();
        yield return CompareCommand.Create();
        yield return SweepCommand.Create();
        yield return BenchCommand.Create();
        yield return ExportCommand.Create();
        yield return DevicesCommand.Create();
        yield break;
    }
}
