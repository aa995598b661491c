using System.CommandLine;
using NetBlocks.Training.Runs;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks runs [--out DIR] [--json]` lists recorded training runs; `netblocks runs show ID` prints one.</summary>
internal static class RunsCommand
{
    public static Command Create()
    {
        var outOption = OutOption();
        var jsonOption = JsonOption();
        var limitOption = new Option<int>("--limit")
        {
            Description = "Show at most this many runs, newest first",
            DefaultValueFactory = _ => 50,
            HelpName = "N",
        };
        var command = new Command("runs", "List training runs recorded by `netblocks train` (newest first)")
        {
            outOption, jsonOption, limitOption, CreateShow(),
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            var database = RunStorePaths.DefaultDatabase(parse.GetValue(outOption)!);
            var json = parse.GetValue(jsonOption);
            var limit = parse.GetValue(limitOption);
            if (limit <= 0) throw new ArgumentException($"--limit must be positive, got {limit}");
            if (!File.Exists(database))
            {
                parse.InvocationConfiguration.Output.Write(json ? "[]\n" : $"no runs in {database} (the file does not exist yet)\n");
                return 0;
            }
            using var store = new SqliteRunStore(database);
            var runs = store.ListRuns(limit)
                .Select(r => r.Status == RunStatus.Running ? RunLock.Observe(r, store.GetRun(r.Id)?.OutputDirectory ?? "") : r).ToList();
            var now = DateTime.UtcNow;
            parse.InvocationConfiguration.Output.Write(json ? RunFormatter.ListToJson(runs, now) : RunFormatter.FormatList(runs, database, now));
            return 0;
        }));
        return command;
    }

    private static Command CreateShow()
    {
        var idArgument = new Argument<long>("ID") { Description = "The run's id, as `netblocks runs` lists it" };
        var outOption = OutOption();
        var jsonOption = JsonOption();
        var show = new Command("show", "Show one run: settings, per-epoch metrics, curves, checkpoints and chart files")
        {
            idArgument, outOption, jsonOption,
        };
        show.SetAction(parse => CliGuard.Run(() =>
        {
            var id = parse.GetValue(idArgument);
            var database = RunStorePaths.DefaultDatabase(parse.GetValue(outOption)!);
            if (!File.Exists(database))
                throw new KeyNotFoundException($"no run {id}: {database} does not exist (no runs recorded yet)");
            using var store = new SqliteRunStore(database);
            var run = store.GetRun(id) ?? throw new KeyNotFoundException(RunFormatter.NoSuchRun(id, database, store.RunIdRange()));
            run = run with { Summary = RunLock.Observe(run.Summary, run.OutputDirectory) };
            var charts = RunStorePaths.ExistingChartFiles(run.OutputDirectory);
            var now = DateTime.UtcNow;
            parse.InvocationConfiguration.Output.Write(parse.GetValue(jsonOption)
                ? RunFormatter.DetailsToJson(run, charts, now)
                : RunFormatter.FormatDetails(run, charts, now));
            return 0;
        }));
        return show;
    }

    private static Option<string> OutOption() => new("--out")
    {
        Description = $"The runs root `netblocks train --out` wrote to; the database is DIR/{RunStorePaths.DatabaseFileName} " +
                      $"(${RunStorePaths.DatabaseEnvironmentVariable} overrides it)",
        DefaultValueFactory = _ => RunStorePaths.DefaultOutRoot,
        HelpName = "DIR",
    };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of text" };
}
