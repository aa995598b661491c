using System.Globalization;
using System.Text;
using System.Text.Json;
using NetBlocks.Serialization;

namespace NetBlocks.Training.Runs;

/// <summary>
/// What `netblocks runs` and `netblocks runs show` print: aligned text tables, a sparkline per curve, and the same data as
/// JSON. Pure functions of the records (and of "now", for the age of running runs), so tests pin the exact text.
/// Numbers use the invariant culture; times are UTC.
/// </summary>
public static class RunFormatter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Eight heights of a sparkline, lowest first.</summary>
    private const string Bars = "▁▂▃▄▅▆▇█";

    /// <summary>Widest sparkline; longer runs are averaged into this many buckets.</summary>
    public const int SparklineWidth = 40;

    /// <summary>One line per run (newest first, as given), or a note that there are none.</summary>
    public static string FormatList(IReadOnlyList<RunSummary> runs, string databasePath, DateTime nowUtc)
    {
        if (runs.Count == 0) return $"no runs in {databasePath}\n";
        var rows = runs.Select(r => new[]
        {
            r.Id.ToString(Inv), r.Model, Status(r.Status), $"{r.EpochsDone}/{r.EpochsPlanned}", Metric(r.ValAccuracy),
            r.StartedUtc.ToString("yyyy-MM-dd HH:mm", Inv), Duration(Elapsed(r, nowUtc)),
        });
        return Table(["id", "model", "status", "epochs", "val_acc", "started (UTC)", "duration"],
            [true, false, false, true, true, false, true], rows, indent: "");
    }

    /// <summary>
    /// Everything about one run: header, settings, per-epoch table, sparklines of the four curves, checkpoints, and the
    /// chart files that exist (<see cref="RunStorePaths.ExistingChartFiles"/>).
    /// </summary>
    public static string FormatDetails(RunDetails run, IReadOnlyList<string> chartFiles, DateTime nowUtc)
    {
        var s = run.Summary;
        var text = new StringBuilder();
        text.Append(Inv, $"run {s.Id}: {s.Model}, {Status(s.Status)}, {s.EpochsDone}/{s.EpochsPlanned} epochs, val_acc {Metric(s.ValAccuracy)}\n");
        text.Append(Inv, $"started   {s.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC\n");
        text.Append(s.EndedUtc is { } ended
            ? string.Create(Inv, $"ended     {ended:yyyy-MM-dd HH:mm:ss} UTC ({Duration(Elapsed(s, nowUtc))})\n")
            : $"ended     - (running for {Duration(Elapsed(s, nowUtc))})\n");
        text.Append($"output    {run.OutputDirectory}\n");
        if (!string.IsNullOrEmpty(s.Message)) text.Append($"message   {s.Message}\n");

        text.Append("\nsettings\n");
        using (var settings = JsonDocument.Parse(run.Settings.ToJson()))
        {
            var entries = settings.RootElement.EnumerateObject()
                .Select(p => (p.Name, Value: p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()))
                .ToList();
            var width = entries.Max(e => e.Name.Length);
            foreach (var (name, value) in entries) text.Append($"  {name.PadRight(width)}  {value}\n");
        }

        text.Append("\nepochs\n");
        if (run.Epochs.Count == 0)
        {
            text.Append("  none recorded yet\n");
        }
        else
        {
            var rows = run.Epochs.Select(e => new[]
            {
                e.Epoch.ToString(Inv), Metric(e.TrainLoss), Metric(e.TrainAccuracy), Metric(e.ValLoss), Metric(e.ValAccuracy),
                Fixed(e.Seconds, 1), Fixed(e.ImagesPerSecond, 1),
            });
            text.Append(Table(["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds", "images/s"],
                [true, true, true, true, true, true, true], rows, indent: "  "));

            text.Append(Inv, $"\ncurves (epoch {run.Epochs[0].Epoch} → {run.Epochs[^1].Epoch})\n");
            var curves = new (string Name, Func<EpochMetrics, double> Value)[]
            {
                ("train_loss", e => e.TrainLoss), ("val_loss", e => e.ValLoss), ("train_acc", e => e.TrainAccuracy), ("val_acc", e => e.ValAccuracy),
            };
            foreach (var (name, value) in curves)
            {
                var values = run.Epochs.Select(value).ToList();
                var finite = values.Where(double.IsFinite).ToList();
                var range = finite.Count == 0 ? "" : $"  min {Metric(finite.Min())}  max {Metric(finite.Max())}";
                text.Append($"  {name,-10}  {Sparkline(values)}  {Metric(values[0])} → {Metric(values[^1])}{range}\n");
            }
        }

        text.Append("\ncheckpoints\n");
        if (run.Checkpoints.Count == 0) text.Append("  none\n");
        var epochWidth = run.Checkpoints.Count == 0 ? 0 : run.Checkpoints.Max(c => c.Epoch.ToString(Inv).Length);
        foreach (var (epoch, path) in run.Checkpoints)
            text.Append(Inv, $"  epoch {epoch.ToString(Inv).PadLeft(epochWidth)}  {path}\n");

        if (chartFiles.Count > 0)
        {
            text.Append("\ncharts\n");
            foreach (var file in chartFiles) text.Append($"  {file}\n");
        }
        return text.ToString();
    }

    /// <summary>The runs as a JSON array (snake_case keys, ISO-8601 UTC times, NaN as null).</summary>
    public static string ListToJson(IReadOnlyList<RunSummary> runs, DateTime nowUtc) => WriteJson(json =>
    {
        json.WriteStartArray();
        foreach (var run in runs) WriteSummary(json, run, nowUtc, close: true);
        json.WriteEndArray();
    });

    /// <summary>One run as a JSON object: the summary's fields plus settings, epochs, checkpoints, output_dir and charts.</summary>
    public static string DetailsToJson(RunDetails run, IReadOnlyList<string> chartFiles, DateTime nowUtc) => WriteJson(json =>
    {
        WriteSummary(json, run.Summary, nowUtc, close: false);
        json.WriteString("output_dir", run.OutputDirectory);
        json.WritePropertyName("settings");
        using (var settings = JsonDocument.Parse(run.Settings.ToJson())) settings.RootElement.WriteTo(json);
        json.WriteStartArray("epochs");
        foreach (var e in run.Epochs)
        {
            json.WriteStartObject();
            json.WriteNumber("epoch", e.Epoch);
            json.WriteNumberOrNull("train_loss", e.TrainLoss);
            json.WriteNumberOrNull("train_acc", e.TrainAccuracy);
            json.WriteNumberOrNull("val_loss", e.ValLoss);
            json.WriteNumberOrNull("val_acc", e.ValAccuracy);
            json.WriteNumberOrNull("seconds", e.Seconds);
            json.WriteNumberOrNull("images_per_s", e.ImagesPerSecond);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("checkpoints");
        foreach (var (epoch, path) in run.Checkpoints)
        {
            json.WriteStartObject();
            json.WriteNumber("epoch", epoch);
            json.WriteString("path", path);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("charts");
        foreach (var file in chartFiles) json.WriteStringValue(file);
        json.WriteEndArray();
        json.WriteEndObject();
    });

    /// <summary>"no run 7 in ./runs/runs.db (runs: 1–5)": what `runs show` says for an unknown id.</summary>
    public static string NoSuchRun(long runId, string databasePath, (long First, long Last, int Count)? ids) =>
        ids switch
        {
            null => $"no run {runId} in {databasePath} (no runs yet)",
            var (first, last, _) when first == last => $"no run {runId} in {databasePath} (runs: {first})",
            var (first, last, _) => $"no run {runId} in {databasePath} (runs: {first}–{last})",
        };

    /// <summary>
    /// The values as bars ▁..█ scaled from their min to their max (all equal: mid-height; NaN/∞: a space).
    /// More than <paramref name="width"/> values are averaged in equal buckets, so a long run still fits a line.
    /// </summary>
    public static string Sparkline(IReadOnlyList<double> values, int width = SparklineWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var points = values.Count <= width
            ? values
            : Enumerable.Range(0, width).Select(i =>
            {
                var bucket = Enumerable.Range(i * values.Count / width, (i + 1) * values.Count / width - i * values.Count / width)
                    .Select(j => values[j]).Where(double.IsFinite).ToList();
                return bucket.Count == 0 ? double.NaN : bucket.Average();
            }).ToList();
        var finite = points.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return new string(' ', points.Count);
        double min = finite.Min(), max = finite.Max();
        var line = new StringBuilder(points.Count);
        foreach (var v in points)
        {
            if (!double.IsFinite(v)) line.Append(' ');
            else if (max == min) line.Append(Bars[3]);
            else line.Append(Bars[(int)Math.Round((v - min) / (max - min) * (Bars.Length - 1))]);
        }
        return line.ToString();
    }

    /// <summary>"45s", "12m 03s", "1h 02m", "2d 03h": two units at most, the larger first.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        return span.TotalSeconds < 60 ? string.Create(Inv, $"{(int)span.TotalSeconds}s")
            : span.TotalMinutes < 60 ? string.Create(Inv, $"{span.Minutes}m {span.Seconds:00}s")
            : span.TotalHours < 24 ? string.Create(Inv, $"{span.Hours}h {span.Minutes:00}m")
            : string.Create(Inv, $"{(int)span.TotalDays}d {span.Hours:00}h");
    }

    /// <summary>How long the run took, or for a running one how long it has been going.</summary>
    private static TimeSpan Elapsed(RunSummary run, DateTime nowUtc) => (run.EndedUtc ?? nowUtc) - run.StartedUtc;

    private static string Status(RunStatus status) => status.ToString().ToLowerInvariant();

    private static string Metric(double? value) => value is { } v ? Fixed(v, 4) : "-";

    private static string Fixed(double value, int decimals) => double.IsNaN(value) ? "-" : value.ToString("F" + decimals, Inv);

    /// <summary>Columns two spaces apart, each as wide as its widest cell; no trailing spaces.</summary>
    private static string Table(string[] headers, bool[] rightAligned, IEnumerable<string[]> rows, string indent)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = headers.Select((_, c) => all.Max(row => row[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            var cells = row.Select((cell, c) => rightAligned[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            text.Append(indent).Append(string.Join("  ", cells).TrimEnd()).Append('\n');
        }
        return text.ToString();
    }

    private static void WriteSummary(Utf8JsonWriter json, RunSummary run, DateTime nowUtc, bool close)
    {
        json.WriteStartObject();
        json.WriteNumber("id", run.Id);
        json.WriteString("model", run.Model);
        json.WriteString("status", Status(run.Status));
        json.WriteNumber("epochs_done", run.EpochsDone);
        json.WriteNumber("epochs_planned", run.EpochsPlanned);
        json.WriteNumberOrNull("val_acc", run.ValAccuracy);
        json.WriteString("started_utc", SqliteRunStore.FormatUtc(run.StartedUtc));
        if (run.EndedUtc is { } ended) json.WriteString("ended_utc", SqliteRunStore.FormatUtc(ended));
        else json.WriteNull("ended_utc");
        json.WriteNumber("duration_s", Math.Round(Elapsed(run, nowUtc).TotalSeconds, 3));
        json.WriteString("message", run.Message);
        if (close) json.WriteEndObject();
    }

    private static string WriteJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions
               {
                   Indented = true,
                   Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
               }))
        {
            write(json);
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
