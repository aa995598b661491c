using System.Globalization;
using NetBlocks.Training;

namespace NetBlocks.Workflows;

/// <summary>
/// What `train --resume` takes from the command line. A resumed run keeps its settings, so that it ends as the
/// uninterrupted run would; the exceptions: <c>--epochs</c> (more epochs extend the run, also a completed one) and
/// <c>--threads</c> (the machine may differ). Any other option given with a value that differs from the run's is
/// refused with a message, rather than silently ignored; repeating the original values is fine.
/// </summary>
public static class ResumeSettings
{
    /// <summary>The options that define a run, with how to read each from the settings.</summary>
    private static readonly (string Option, Func<TrainingSettings, object> Value)[] Fixed =
    [
        ("--resize", s => s.Resize), ("--batch", s => s.Batch), ("--lr", s => s.LearningRate), ("--momentum", s => s.Momentum),
        ("--nesterov", s => s.Nesterov), ("--weight-decay", s => s.WeightDecay), ("--schedule", s => s.Schedule),
        ("--grad-clip", s => s.GradientClip), ("--seed", s => s.Seed), ("--limit-train", s => s.LimitTrain),
        ("--limit-val", s => s.LimitVal), ("--augment", s => s.Augment),
    ];

    /// <summary>
    /// The settings to resume run <paramref name="runId"/> with: its own (<paramref name="run"/>), with the
    /// <paramref name="given"/> options of <paramref name="requested"/> applied or refused.
    /// </summary>
    /// <param name="epochsStarted">Epochs finished, plus one if the run stopped inside an epoch.</param>
    public static TrainingSettings Apply(TrainingSettings run, long runId, int epochsStarted, TrainingSettings requested, IReadOnlySet<string> given)
    {
        if (requested.Model != run.Model)
            throw new ArgumentException($"run {runId} trains {run.Model}, not {requested.Model}: give its model (netblocks train {run.Model} --resume {runId}) or start a new run without --resume");
        foreach (var (option, value) in Fixed)
        {
            if (!given.Contains(option)) continue;
            object theirs = value(run), ours = value(requested);
            if (!theirs.Equals(ours))
                throw new ArgumentException($"{option} {Text(ours)} differs from run {runId}'s {Text(theirs)}: a resumed run keeps its settings " +
                                            $"so it ends as if never interrupted; drop {option}, or start a new run without --resume to change it");
        }
        var settings = run;
        if (given.Contains("--threads")) settings = settings with { Threads = requested.Threads };
        if (given.Contains("--epochs") && requested.Epochs != run.Epochs)
        {
            if (requested.Epochs < epochsStarted)
                throw new ArgumentException($"--epochs {requested.Epochs} is fewer than run {runId} has already started ({epochsStarted}); " +
                                            $"give more epochs to train it further, e.g. --epochs {Math.Max(epochsStarted, run.Epochs) + 1}");
            settings = settings with { Epochs = requested.Epochs };
        }
        return settings;
    }

    private static string Text(object v) => v switch
    {
        float f => f.ToString("G7", CultureInfo.InvariantCulture),
        bool b => b ? "on" : "off",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };
}
