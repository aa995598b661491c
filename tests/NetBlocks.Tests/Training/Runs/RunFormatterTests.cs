using System.Text.Json;
using NetBlocks.Training;
using NetBlocks.Training.Runs;

namespace NetBlocks.Tests.Training.Runs;

public class RunFormatterTests
{
    private static readonly DateTime T0 = new(2025, 1, 31, 9, 15, 0, DateTimeKind.Utc);
    private static readonly DateTime Now = T0.AddHours(2).AddMinutes(12).AddSeconds(3);

    private static RunDetails SmallRun() => new(
        new RunSummary(3, "resnet18", RunStatus.Completed, T0, T0.AddSeconds(3723), 4, 4, 0.8123, null),
        new TrainingSettings
        {
            Model = "resnet18", Resize = 96, Epochs = 4, Batch = 64, LearningRate = 0.05f, Momentum = 0.9f, Schedule = "cosine:1", Threads = 4,
        },
        [
            new(1, 0.90, 0.68, 0.70, 0.74, 930.5, 64.5),
            new(2, 0.60, 0.77, 0.55, 0.79, 925.0, 64.9),
            new(3, 0.45, 0.82, double.NaN, 0.80, 931.2, 64.4),
            new(4, 0.35, 0.86, 0.48, 0.8123, 928.9, 64.6),
        ],
        [(2, "runs/3-resnet18/epoch-002.safetensors"), (4, "runs/3-resnet18/epoch-004.safetensors")],
        "runs/3-resnet18");

    private static RunSummary[] ThreeRuns() =>
    [
        new(4, "vgg11", RunStatus.Running, T0.AddHours(2), null, 1, 10, 0.7012, null),
        SmallRun().Summary,
        new(2, "nin", RunStatus.Failed, T0.AddMinutes(-30), T0.AddMinutes(-29.5), 0, 10, null, "loss became NaN"),
    ];

    [Fact]
    public void TheListIsOneAlignedLinePerRun()
    {
        Assert.Equal(
            """
            id  model     status     epochs  val_acc  started (UTC)     duration
             4  vgg11     running      1/10   0.7012  2025-01-31 11:15   12m 03s
             3  resnet18  completed     4/4   0.8123  2025-01-31 09:15    1h 02m
             2  nin       failed       0/10        -  2025-01-31 08:45       30s

            """.ReplaceLineEndings("\n"),
            RunFormatter.FormatList(ThreeRuns(), "./runs/runs.db", Now));
        Assert.Equal("no runs in ./runs/runs.db\n", RunFormatter.FormatList([], "./runs/runs.db", Now));
    }

    [Fact]
    public void ShowPrintsSettingsEpochsCurvesCheckpointsAndCharts()
    {
        Assert.Equal(
            """
            run 3: resnet18, completed, 4/4 epochs, val_acc 0.8123
            started   2025-01-31 09:15:00 UTC
            ended     2025-01-31 10:17:03 UTC (1h 02m)
            output    runs/3-resnet18

            settings
              model          resnet18
              resize         96
              epochs         4
              batch          64
              learning_rate  0.05
              momentum       0.9
              weight_decay   0
              nesterov       false
              schedule       cosine:1
              gradient_clip  0
              seed           0
              limit_train    0
              limit_val      0
              threads        4
              augment        false
              classes        10

            epochs
              epoch  train_loss  train_acc  val_loss  val_acc  seconds  images/s
                  1      0.9000     0.6800    0.7000   0.7400    930.5      64.5
                  2      0.6000     0.7700    0.5500   0.7900    925.0      64.9
                  3      0.4500     0.8200         -   0.8000    931.2      64.4
                  4      0.3500     0.8600    0.4800   0.8123    928.9      64.6

            curves (epoch 1 → 4)
              train_loss  █▄▂▁  0.9000 → 0.3500  min 0.3500  max 0.9000
              val_loss    █▃ ▁  0.7000 → 0.4800  min 0.4800  max 0.7000
              train_acc   ▁▅▆█  0.6800 → 0.8600  min 0.6800  max 0.8600
              val_acc     ▁▆▇█  0.7400 → 0.8123  min 0.7400  max 0.8123

            checkpoints
              epoch 2  runs/3-resnet18/epoch-002.safetensors
              epoch 4  runs/3-resnet18/epoch-004.safetensors

            charts
              runs/3-resnet18/metrics.csv

            """.ReplaceLineEndings("\n"),
            RunFormatter.FormatDetails(SmallRun(), ["runs/3-resnet18/metrics.csv"], Now));
    }

    [Fact]
    public void ARunningRunWithoutEpochsSaysSoAndShowsItsMessage()
    {
        var run = new RunDetails(new RunSummary(9, "nin", RunStatus.Running, T0, null, 0, 10, null, "resumed from epoch 0"),
            new TrainingSettings { Model = "nin", Threads = 1 }, [], [], "runs/9-nin");
        var text = RunFormatter.FormatDetails(run, [], T0.AddSeconds(42));
        Assert.StartsWith(
            """
            run 9: nin, running, 0/10 epochs, val_acc -
            started   2025-01-31 09:15:00 UTC
            ended     - (running for 42s)
            output    runs/9-nin
            message   resumed from epoch 0

            """.ReplaceLineEndings("\n"), text);
        Assert.EndsWith("\nepochs\n  none recorded yet\n\ncheckpoints\n  none\n", text);
    }

    [Fact]
    public void JsonHasTheSameFieldsWithNaNAsNull()
    {
        using var list = JsonDocument.Parse(RunFormatter.ListToJson(ThreeRuns(), Now));
        var runs = list.RootElement.EnumerateArray().ToList();
        Assert.Equal([4, 3, 2], runs.Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal("running", runs[0].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, runs[0].GetProperty("ended_utc").ValueKind);
        Assert.Equal(723, runs[0].GetProperty("duration_s").GetDouble());
        Assert.Equal("2025-01-31T10:17:03.0000000Z", runs[1].GetProperty("ended_utc").GetString());
        Assert.Equal(JsonValueKind.Null, runs[2].GetProperty("val_acc").ValueKind);
        Assert.Equal("loss became NaN", runs[2].GetProperty("message").GetString());

        using var details = JsonDocument.Parse(RunFormatter.DetailsToJson(SmallRun(), ["runs/3-resnet18/curves.svg"], Now));
        var run = details.RootElement;
        Assert.Equal(SmallRun().Settings, TrainingSettings.FromJson(run.GetProperty("settings").GetRawText()));
        var epochs = run.GetProperty("epochs").EnumerateArray().ToList();
        Assert.Equal(SmallRun().Epochs, epochs.Select(e => new EpochMetrics(e.GetProperty("epoch").GetInt32(), Real(e, "train_loss"),
            Real(e, "train_acc"), Real(e, "val_loss"), Real(e, "val_acc"), Real(e, "seconds"), Real(e, "images_per_s"))));
        Assert.Equal("runs/3-resnet18/epoch-004.safetensors", run.GetProperty("checkpoints")[1].GetProperty("path").GetString());
        Assert.Equal("runs/3-resnet18/curves.svg", run.GetProperty("charts")[0].GetString());
        Assert.Equal("runs/3-resnet18", run.GetProperty("output_dir").GetString());

        static double Real(JsonElement e, string name) =>
            e.GetProperty(name) is { ValueKind: JsonValueKind.Null } ? double.NaN : e.GetProperty(name).GetDouble();
    }

    [Fact]
    public void AnUnknownIdNamesTheFileAndTheIdsThereAre()
    {
        Assert.Equal("no run 7 in ./runs/runs.db (runs: 1–5)", RunFormatter.NoSuchRun(7, "./runs/runs.db", (1, 5, 5)));
        Assert.Equal("no run 7 in ./runs/runs.db (runs: 3)", RunFormatter.NoSuchRun(7, "./runs/runs.db", (3, 3, 1)));
        Assert.Equal("no run 7 in ./runs/runs.db (no runs yet)", RunFormatter.NoSuchRun(7, "./runs/runs.db", null));
    }

    [Fact]
    public void SparklinesScaleFromMinToMaxAndAverageLongRunsIntoTheWidth()
    {
        Assert.Equal("▁▂▃▄▅▆▇█", RunFormatter.Sparkline([0, 1, 2, 3, 4, 5, 6, 7]));
        Assert.Equal("█▁", RunFormatter.Sparkline([2.5, -1]));
        Assert.Equal("▄▄▄", RunFormatter.Sparkline([0.5, 0.5, 0.5]));
        Assert.Equal("▁ █", RunFormatter.Sparkline([0, double.NaN, 1]));
        Assert.Equal("  ", RunFormatter.Sparkline([double.NaN, double.NaN]));
        Assert.Equal("", RunFormatter.Sparkline([]));
        Assert.Equal("▁█", RunFormatter.Sparkline([0, 0, 1, 1], width: 2));
        Assert.Equal(RunFormatter.SparklineWidth, RunFormatter.Sparkline(Enumerable.Range(0, 1000).Select(i => (double)i).ToList()).Length);
    }

    [Fact]
    public void DurationsShowTheTwoLargestUnits()
    {
        Assert.Equal("0s", RunFormatter.Duration(TimeSpan.FromSeconds(-3)));
        Assert.Equal("59s", RunFormatter.Duration(TimeSpan.FromSeconds(59.9)));
        Assert.Equal("1m 00s", RunFormatter.Duration(TimeSpan.FromSeconds(60)));
        Assert.Equal("12m 03s", RunFormatter.Duration(TimeSpan.FromSeconds(723)));
        Assert.Equal("1h 02m", RunFormatter.Duration(TimeSpan.FromSeconds(3723)));
        Assert.Equal("2d 03h", RunFormatter.Duration(TimeSpan.FromHours(51)));
    }

    [Fact]
    public void ChartFilesAreListedOnlyWhenTheyExist()
    {
        var dir = Directory.CreateTempSubdirectory("netblocks-runfmt-").FullName;
        try
        {
            Assert.Empty(RunStorePaths.ExistingChartFiles(dir));
            File.WriteAllText(Path.Combine(dir, "curves.png"), "");
            File.WriteAllText(Path.Combine(dir, "metrics.csv"), "");
            Assert.Equal([Path.Combine(dir, "metrics.csv"), Path.Combine(dir, "curves.png")], RunStorePaths.ExistingChartFiles(dir));
            Assert.Empty(RunStorePaths.ExistingChartFiles(Path.Combine(dir, "missing")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
