namespace NetBlocks.Training.Runs;

/// <summary>Where the run database lives: <c>&lt;runs root&gt;/runs.db</c>, the runs root being `netblocks train --out` (default <c>./runs</c>).</summary>
public static class RunStorePaths
{
    /// <summary>The runs root when `--out` is not given (`netblocks train` writes each run's files below it).</summary>
    public const string DefaultOutRoot = "./runs";

    public const string DatabaseFileName = "runs.db";

    /// <summary>Names a database file that overrides <c>&lt;out&gt;/runs.db</c> for every command (e.g. one database for runs written to several roots).</summary>
    public const string DatabaseEnvironmentVariable = "NETBLOCKS_RUNS_DB";

    /// <summary>The database for a runs root: <c>$NETBLOCKS_RUNS_DB</c> when set, else <c>outRoot/runs.db</c>.</summary>
    public static string DefaultDatabase(string outRoot) =>
        DefaultDatabase(outRoot, Environment.GetEnvironmentVariable(DatabaseEnvironmentVariable));

    /// <summary><paramref name="overridePath"/> when set, else <c>outRoot/runs.db</c> (tests pass the variable's value here).</summary>
    internal static string DefaultDatabase(string outRoot, string? overridePath) =>
        string.IsNullOrWhiteSpace(overridePath) ? Path.Combine(outRoot, DatabaseFileName) : overridePath;

    /// <summary>The chart and metric files a run's output directory may hold, in the order `runs show` lists them.</summary>
    public static readonly IReadOnlyList<string> ChartFileNames = ["metrics.csv", "curves.svg", "curves.png"];

    /// <summary>Those of <see cref="ChartFileNames"/> that exist in <paramref name="outputDirectory"/>, as paths below it.</summary>
    public static IReadOnlyList<string> ExistingChartFiles(string outputDirectory) =>
        string.IsNullOrEmpty(outputDirectory)
            ? []
            : ChartFileNames.Select(name => Path.Combine(outputDirectory, name)).Where(File.Exists).ToList();
}
