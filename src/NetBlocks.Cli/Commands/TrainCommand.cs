using System.CommandLine;
using NetBlocks.Models;
using NetBlocks.Reporting.Terminal;
using NetBlocks.Serialization;
using NetBlocks.Training;
using NetBlocks.Training.Runs;
using NetBlocks.Workflows;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks train MODEL …`: train a network on Fashion-MNIST, the main job.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "a preset (vgg11/4, nin, regnetx32, …; see `netblocks models`) or a spec" };
        var resize = new Option<int?>("--resize") { Description = "resize the 28×28 images to N×N (default: the preset's resolution, e.g. 224 for VGG as d2l)" };
        var epochs = new Option<int>("--epochs") { Description = "number of epochs", DefaultValueFactory = _ => 10 };
        var batch = new Option<int>("--batch") { Description = "mini-batch size", DefaultValueFactory = _ => 128 };
        var lr = new Option<float?>("--lr") { Description = "learning rate (default: the seed's for the preset: vgg11/4 0.01, nin 0.05, regnetx32 0.05)" };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum (d2l: 0)" };
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum" };
        var weightDecay = new Option<float>("--weight-decay") { Description = "L2 weight decay" };
        var schedule = new Option<string>("--schedule") { Description = "constant | step:EVERY:GAMMA | cosine[:WARMUP_EPOCHS]", DefaultValueFactory = _ => "constant" };
        var clip = new Option<float>("--grad-clip") { Description = "clip the global gradient norm to this value (0: off)" };
        var seed = new Option<ulong>("--seed") { Description = "random seed: same seed, machine and threads → the same run bit for bit" };
        var limitTrain = new Option<int>("--limit-train") { Description = "use only the first N training images (0: all 60000)" };
        var limitVal = new Option<int>("--limit-val") { Description = "use only the first N test images (0: all 10000)" };
        var threads = new Option<int>("--threads") { Description = "threads for the kernels", DefaultValueFactory = _ => Environment.ProcessorCount };
        var device = DeviceChoice.Option();
        var augment = new Option<bool>("--augment") { Description = "random crop with padding and horizontal flip" };
        var data = DataOption();
        var outDir = new Option<string>("--out") { Description = "where runs are written (one folder per run, and runs.db)", DefaultValueFactory = _ => RunStorePaths.DefaultOutRoot };
        var resume = new Option<string?>("--resume") { Description = "continue an interrupted run: its id, its checkpoint, or nothing for the model's latest unfinished run", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "end with one JSON object on stdout (progress goes to stderr)" };
        var noVerify = NoVerifyOption();
        var holdAt = new Option<string?>("--hold-at")
        {
            Description = "for the signal tests: after the first progress line containing TEXT, wait for a stop signal", Hidden = true, HelpName = "TEXT",
        };
        var command = new Command("train", "Train a network on Fashion-MNIST with SGD, as d2l's Trainer: progress, curves (SVG/PNG), metrics CSV, checkpoints, run records")
        {
            model, resize, epochs, batch, lr, momentum, nesterov, weightDecay, schedule, clip, seed, limitTrain, limitVal, threads, device, augment, data, noVerify, outDir, resume, json, holdAt,
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            var name = parse.GetValue(model)!;
            bool asJson = parse.GetValue(json);
            var stdout = parse.InvocationConfiguration.Output;
            var console = asJson ? parse.InvocationConfiguration.Error : stdout;
            using var stop = new StopSignal(console);
            var log = parse.GetValue(holdAt) is { Length: > 0 } marker ? new HoldingWriter(console, marker, stop.Token) : console;
            var preset = ModelZoo.Describe(name);
            var settings = new TrainingSettings
            {
                Model = name,
                Resize = parse.GetValue(resize) ?? preset.DefaultInput[1],
                Epochs = parse.GetValue(epochs),
                Batch = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr) ?? preset.DefaultLearningRate,
                Momentum = parse.GetValue(momentum),
                Nesterov = parse.GetValue(nesterov),
                WeightDecay = parse.GetValue(weightDecay),
                Schedule = LearningRateSchedule.Parse(parse.GetValue(schedule)!).Spec,
                GradientClip = parse.GetValue(clip),
                Seed = parse.GetValue(seed),
                LimitTrain = parse.GetValue(limitTrain),
                LimitVal = parse.GetValue(limitVal),
                Threads = parse.GetValue(threads),
                Augment = parse.GetValue(augment),
            };
            string? resumeArg = parse.GetResult(resume) is null ? null : parse.GetValue(resume) ?? "";
            var progress = new ProgressReporter(log, interactive: !asJson && !Console.IsOutputRedirected);
            var given = new HashSet<string>(command.Options.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name));
            var (onDevice, lease) = DeviceChoice.Open(parse.GetValue(device)!);
            using var _ = lease;
            var request = new TrainRequest(settings, parse.GetValue(data), parse.GetValue(outDir)!, resumeArg, !parse.GetValue(noVerify), given, onDevice);
            var result = new TrainingWorkflow(log, progress).Run(request, stop.Token);
            if (result.ResumeCommand is not null) log.WriteLine($"interrupted. Resume with:\n  {result.ResumeCommand}");
            else if (result.Epochs.Count > 0)
                log.WriteLine($"done: val acc {result.Epochs[^1].ValAccuracy:F4} after {result.Epochs.Count} epochs; run {result.RunId} in {result.RunDirectory}");
            if (asJson) stdout.WriteLine(Json(result));
            return result.Outcome == TrainingOutcome.Completed ? 0 : 130;
        }));
        return command;
    }

    internal static Option<string?> DataOption() => new("--data")
    {
        Description = "folder with the four Fashion-MNIST IDX files (default: $NETBLOCKS_DATA, then the user cache, downloading if missing)",
    };

    internal static Option<bool> NoVerifyOption() => new("--no-verify")
    {
        Description = "accept IDX files that are not the canonical Fashion-MNIST (e.g. MNIST or your own data under the same names)",
    };

    /// <summary>Loads the data folder, checking the canonical hashes unless --no-verify.</summary>
    internal static NetBlocks.Data.FashionMnist LoadData(string? dir, bool noVerify) => FashionMnistData.Load(dir, verifyHashes: !noVerify);

    private static string Json(TrainResult r) => FiniteJson.Serialize(new
    {
        run_id = r.RunId,
        model = r.Settings.Model,
        epochs = r.Epochs,
        val_acc = r.Epochs.Count > 0 ? r.Epochs[^1].ValAccuracy : (double?)null,
        checkpoint = r.Checkpoint,
        status = r.Outcome == TrainingOutcome.Completed ? "completed" : "interrupted",
    });
}
