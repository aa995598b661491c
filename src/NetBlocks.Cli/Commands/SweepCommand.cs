using System.CommandLine;
using System.Globalization;
using NetBlocks.Cuda;
using NetBlocks.DesignSpace;
using NetBlocks.Reporting.Html;

namespace NetBlocks.Cli.Commands;

/// <summary>
/// `netblocks sweep create|run|retry|status|report|compare`: design-space exploration (seed 003). Parses arguments and calls
/// <see cref="Sweeps"/>, <see cref="SweepRunner"/> and <see cref="SweepReport"/>.
/// </summary>
internal static class SweepCommand
{
    public static Command Create() => new("sweep", "Explore design spaces (AnyNetX A–E, RegNet, VioNet, MLP): sample models, train them briefly, compare error distributions")
    {
        CreateCreate(), CreateRun(), CreateRetry(), CreateStatus(), CreateReport(),
        SweepCompareCommand.Create(),
    };

    internal static Option<string?> StoreOption() => new("--store")
    {
        Description = $"the trial store: a SQLite file or postgres://user:pass@host:port/db (default: ${TrialStores.EnvironmentVariable}, else {TrialStores.DefaultPath})",
        HelpName = "URL",
    };

    private static Command CreateCreate()
    {
        var name = new Argument<string>("NAME") { Description = "the sweep's name (letters, digits, - _ .)" };
        var space = new Option<string>("--space") { Description = $"the design space: {string.Join(" | ", DesignSpaces.Names)}", Required = true };
        var samples = new Option<int>("--samples") { Description = "number of distinct models to draw", Required = true, HelpName = "N" };
        var macs = new Option<string?>("--macs") { Description = "keep models whose MACs (one image at --resize) lie in LO..HI, e.g. 2M..20M, ..5M", HelpName = "LO..HI" };
        var prms = new Option<string?>("--params") { Description = "keep models whose parameter count lies in LO..HI, e.g. 10k..200k", HelpName = "LO..HI" };
        var epochs = new Option<int>("--epochs") { Description = "epochs per trial", DefaultValueFactory = _ => 1 };
        var resize = new Option<int>("--resize") { Description = "train at N×N", DefaultValueFactory = _ => 32 };
        var limitTrain = new Option<int>("--limit-train") { Description = "training images per trial (0: all 60000)", DefaultValueFactory = _ => 5000 };
        var limitVal = new Option<int>("--limit-val") { Description = "test images to measure error on (0: all 10000)", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the sampler and of every trial's training" };
        var lr = new Option<float>("--lr") { Description = "learning rate", DefaultValueFactory = _ => 0.05f };
        var batch = new Option<int>("--batch") { Description = "mini-batch size", DefaultValueFactory = _ => 128 };
        var stages = new Option<string>("--stages") { Description = "number of stages MIN..MAX (or N)", DefaultValueFactory = _ => "2..3" };
        var maxDepth = new Option<int>("--max-depth") { Description = "largest stage depth (AnyNet)", DefaultValueFactory = _ => 4 };
        var widths = new Option<string>("--widths") { Description = "stage widths MIN..MAX, multiples of 8", DefaultValueFactory = _ => "8..128" };
        var draws = new Option<int>("--draws") { Description = "sampling budget: models drawn (duplicates included) before giving up on the band", DefaultValueFactory = _ => 10_000 };
        var attempts = new Option<int>("--max-attempts") { Description = "claims of one trial before it is marked failed", DefaultValueFactory = _ => 3 };
        var store = StoreOption();
        var cmd = new Command("create", "Sample N models of a design space (inside a MAC/parameter band) and record them as pending trials")
        {
            name, space, samples, macs, prms, epochs, resize, limitTrain, limitVal, seed, lr, batch, stages, maxDepth, widths, draws, attempts, store,
        };
        cmd.SetAction(parse => CliGuard.Run(() =>
        {
            var (minStages, maxStages) = IntRange(parse.GetValue(stages)!, "--stages");
            var (minWidth, maxWidth) = IntRange(parse.GetValue(widths)!, "--widths");
            var request = new SweepCreateRequest(parse.GetValue(name)!, DesignSpaces.Parse(parse.GetValue(space)!), parse.GetValue(samples), new TrialSettings
            {
                Epochs = parse.GetValue(epochs), Resize = parse.GetValue(resize), LimitTrain = parse.GetValue(limitTrain), LimitVal = parse.GetValue(limitVal),
                Seed = parse.GetValue(seed), LearningRate = parse.GetValue(lr), Batch = parse.GetValue(batch),
            })
            {
                Options = new DesignSpaceOptions { MinStages = minStages, MaxStages = maxStages, MaxDepth = parse.GetValue(maxDepth), MinWidth = minWidth, MaxWidth = maxWidth },
                Macs = parse.GetValue(macs) is { } m ? ValueRange.Parse(m, "--macs") : ValueRange.Any,
                Params = parse.GetValue(prms) is { } p ? ValueRange.Parse(p, "--params") : ValueRange.Any,
                MaxAttempts = parse.GetValue(attempts),
                Budget = parse.GetValue(draws),
            };
            SweepDefinition.ValidateName(request.Name);
            request.Settings.Validate();
            using var s = TrialStores.Open(parse.GetValue(store));
            var (sweep, models) = Sweeps.Create(s, request);
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"sweep {sweep.Name}: {models.Count} models of {DesignSpaces.Name(sweep.Space)} recorded in {s.Location}");
            o.WriteLine($"  MACs {ValueRange.Format(models.Min(x => x.Macs))}..{ValueRange.Format(models.Max(x => x.Macs))}, " +
                        $"params {ValueRange.Format(models.Min(x => x.Params))}..{ValueRange.Format(models.Max(x => x.Params))} at {sweep.Settings.Resize}×{sweep.Settings.Resize}");
            o.WriteLine($"  train them with: netblocks sweep run {sweep.Name}" + (parse.GetValue(store) is { } u ? $" --store {PostgresTrialStore.Redact(u)}" : ""));
            return 0;
        }));
        return cmd;
    }

    private static Command CreateRun()
    {
        var name = new Argument<string>("NAME") { Description = "the sweep to work on" };
        var workers = new Option<int>("--workers") { Description = "worker threads in this process, each trial with kernel threads of its own (--threads)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "kernel threads per trial, each trial its own (0: all cores with one worker, 1 with several)" };
        var lease = new Option<double>("--lease") { Description = "seconds a claim lives without a heartbeat; a killed worker's trial is retried after this", DefaultValueFactory = _ => 60 };
        var maxTrials = new Option<int>("--max-trials") { Description = "stop after this many trials (0: until the sweep is done)" };
        var simulate = new Option<int>("--simulate") { Description = "test the claim protocol: each trial sleeps MS milliseconds instead of training", Hidden = true };
        var simulateLog = new Option<string?>("--simulate-log") { Description = "with --simulate, append each finished trial to this file", Hidden = true };
        var data = TrainCommand.DataOption();
        var noVerify = TrainCommand.NoVerifyOption();
        var store = StoreOption();
        var device = DeviceChoice.Option();
        device.Description = "where the workers train: cpu, cuda (one worker per GPU, worker i on cuda:i-1; --workers at most the GPU count), " +
                             "cuda:N (one worker on that GPU) or auto (cuda when there are GPUs, else the cpu)";
        var cmd = new Command("run", "Train the sweep's pending trials (several workers, processes or machines may share one store)")
        {
            name, workers, threads, lease, maxTrials, data, noVerify, store, device, simulate, simulateLog,
        };
        cmd.SetAction(parse => CliGuard.Run(() =>
        {
            var o = parse.InvocationConfiguration.Output;
            var deviceText = parse.GetValue(device)!;
            int? givenWorkers = parse.GetResult(workers) is { Implicit: false } ? parse.GetValue(workers) : null;
            var (workerCount, devices) = deviceText.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase)
                ? (givenWorkers ?? 1, null)
                : DeviceChoice.SweepWorkers(deviceText, givenWorkers, CudaDevices.Query());
            using var s = TrialStores.Open(parse.GetValue(store), mustExist: true);
            ITrialRunner runner = parse.GetValue(simulate) > 0
                ? new SimulatedTrialRunner(parse.GetValue(simulate), parse.GetValue(simulateLog))
                : new FashionMnistTrialRunner(parse.GetValue(data), verifyHashes: !parse.GetValue(noVerify));
            double leaseSeconds = parse.GetValue(lease);
            if (!(leaseSeconds >= 0.3) || !double.IsFinite(leaseSeconds)) throw new ArgumentException($"--lease must be at least 0.3 seconds, got {leaseSeconds}");
            var (backends, opened) = DeviceChoice.OpenAll(devices ?? []);
            using var _ = opened;
            if (backends.Count > 0) runner = new DeviceBoundTrialRunner(runner, backends);
            using var stop = new StopSignal();
            var summary = new SweepRunner(s, runner, o).Run(parse.GetValue(name)!, new SweepRunOptions
            {
                Workers = workerCount, Threads = parse.GetValue(threads), Lease = TimeSpan.FromSeconds(leaseSeconds),
                MaxTrials = parse.GetValue(maxTrials), Devices = devices,
            }, stop.Token);
            o.WriteLine(summary.Describe(parse.GetValue(name)!));
            return 0;
        }));
        return cmd;
    }

    private static Command CreateRetry()
    {
        var name = new Argument<string>("NAME") { Description = "the sweep whose failed trials to re-queue" };
        var store = StoreOption();
        var cmd = new Command("retry", "Put a sweep's failed trials back in the queue, their attempts reset, for `sweep run` to train again") { name, store };
        cmd.SetAction(parse => CliGuard.Run(() =>
        {
            var o = parse.InvocationConfiguration.Output;
            var n = parse.GetValue(name)!;
            using var s = TrialStores.Open(parse.GetValue(store), mustExist: true);
            int requeued = Sweeps.Retry(s, n);
            var c = s.Counts(n);
            o.WriteLine(requeued == 0
                ? $"sweep {n}: no failed trials to re-queue ({c.Done} done, {c.Pending} pending, {c.Running} running)"
                : $"sweep {n}: re-queued {requeued} failed trial(s); {c.Pending} pending, {c.Done} done, {c.Running} running. Train them with: netblocks sweep run {n}");
            return 0;
        }));
        return cmd;
    }

    private static Command CreateStatus()
    {
        var name = new Argument<string?>("NAME") { Description = "the sweep (default: list the sweeps)", Arity = ArgumentArity.ZeroOrOne };
        var store = StoreOption();
        var cmd = new Command("status", "Show a sweep's progress, failures and best models so far") { name, store };
        cmd.SetAction(parse => CliGuard.Run(() =>
        {
            var o = parse.InvocationConfiguration.Output;
            using var s = TrialStores.Open(parse.GetValue(store), mustExist: true);
            if (parse.GetValue(name) is not { } n)
            {
                var names = s.ListSweeps();
                if (names.Count == 0) o.WriteLine($"no sweeps in {s.Location}");
                foreach (var x in names)
                {
                    var c = s.Counts(x);
                    o.WriteLine($"{x}: {DesignSpaces.Name(s.GetSweep(x)!.Space)}, {c.Total} trials: {c.Done} done, {c.Running} running, {c.Pending} pending, {c.Failed} failed");
                }
                return 0;
            }
            o.Write(SweepFormatter.Status(Sweeps.Get(s, n), s.Trials(n), s.Location));
            return 0;
        }));
        return cmd;
    }

    private static Command CreateReport()
    {
        var names = new Argument<string[]>("NAME") { Description = "one or more sweeps to compare (the first is the reference of the KS comparisons)", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string?>("--out") { Description = "folder for report.html and the charts (default: sweeps/report-NAME[-NAME…])", HelpName = "DIR" };
        var json = new Option<bool>("--json") { Description = "print the report's numbers as JSON (sweeps: edf, bands, normalized EDFs, best ranges, …; comparisons)" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the bootstrap resampling (EDF bands, best ranges): the same seed gives the same report" };
        var bins = SweepCompareCommand.BinsOption();
        var store = StoreOption();
        var cmd = new Command("report", "EDFs of several sweeps with bootstrap bands, normalized EDFs, KS tests, error against every design parameter, best ranges: SVG/PNG and one HTML page")
        {
            names, outDir, json, seed, bins, store,
        };
        cmd.SetAction(parse => CliGuard.Run(() =>
        {
            var o = parse.InvocationConfiguration.Output;
            var list = parse.GetValue(names)!;
            var options = new AnalysisOptions { Seed = parse.GetValue(seed), Bins = parse.GetValue(bins) };
            options.Validate();
            using var s = TrialStores.Open(parse.GetValue(store), mustExist: true);
            var summaries = SweepCompareCommand.Summaries(s, list, options);
            var dir = parse.GetValue(outDir) ?? Path.Combine("sweeps", "report-" + string.Join("-", list));
            var files = SweepReport.Write(summaries, dir, options);
            if (parse.GetValue(json))
            {
                o.Write(SweepFormatter.Json(summaries, files.ToDictionary(), options));
                foreach (var w in summaries.SelectMany(SweepFormatter.Warnings)) parse.InvocationConfiguration.Error.WriteLine("warning: " + w);
                return 0;
            }
            foreach (var w in summaries.SelectMany(SweepFormatter.Warnings)) o.WriteLine("warning: " + w);
            foreach (var x in summaries)
            {
                var best = x.Best.FirstOrDefault();
                var bestText = best is null ? "" : string.Create(CultureInfo.InvariantCulture, $", best error {best.Error:F4} ({best.Spec})");
                o.WriteLine($"{x.Name} ({x.Space}): {x.Done}/{x.N} done{bestText}");
            }
            foreach (var c in SweepComparison.AgainstFirst(summaries)) o.WriteLine(c.Verdict);
            o.WriteLine($"report: {files.Html}");
            o.WriteLine($"EDF chart: {files.EdfChart}.svg, {files.EdfChart}.png; normalized EDFs, expected-best curve and {files.ParameterCharts.Count} parameter charts in {dir}");
            return 0;
        }));
        return cmd;
    }

    private static (int Min, int Max) IntRange(string text, string what)
    {
        var parts = text.Split("..");
        if (parts.Length == 1 && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var one)) return (one, one);
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var lo)
                              && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var hi))
        {
            if (lo > hi) throw new ArgumentException($"{what} {text} is empty: {lo} > {hi}; swap the bounds");
            return (lo, hi);
        }
        throw new ArgumentException($"{what} '{text}' is not MIN..MAX or N (e.g. 2..3)");
    }
}
