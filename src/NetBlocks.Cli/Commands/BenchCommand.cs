using System.CommandLine;
using NetBlocks.Benchmarking;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks bench train|infer MODEL --resize N` and `netblocks bench gemm --size N`: timings on random data.</summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "Time training steps, inference or GEMM on random data (images/s, GFLOP/s, peak memory, GC per step)")
    {
        ModelCommand("train", "Time full SGD training steps (forward, loss, backward, update) after a warm-up", ModelBenchmark.Train, defaultBatch: 128),
        ModelCommand("infer", "Time eval-mode forward passes without a graph (batch 1: latency; batch 128: throughput)", ModelBenchmark.Infer, defaultBatch: 128),
        GemmCommand(),
    };

    private static Command ModelCommand(string name, string description, Func<BenchSettings, BenchResult> run, int defaultBatch)
    {
        var model = new Argument<string>("model") { Description = "a preset (vgg11/4, nin, regnetx32, …) or a spec" };
        var resize = new Option<int>("--resize") { Description = "input height and width", Required = true };
        var batch = new Option<int>("--batch") { Description = "batch size", DefaultValueFactory = _ => defaultBatch };
        var steps = new Option<int>("--steps") { Description = "timed steps (the median is reported)", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first", DefaultValueFactory = _ => 3 };
        var threads = Threads();
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var profile = new Option<bool>("--profile") { Description = "also print the time per op kind and per phase of the step" };
        var noFold = new Option<bool>("--no-fold") { Description = "run the model as declared, without the inference plan (batch norm folded into the convolutions, weights packed once, ReLUs in the convolution's store)" };
        var device = DeviceChoice.Option();
        var command = new Command(name, description) { model, resize, batch, steps, warmup, threads, device, json, profile };
        if (name == "infer") command.Add(noFold);
        command.SetAction(parse => CliGuard.Run(() =>
        {
            var (onDevice, lease) = DeviceChoice.Open(parse.GetValue(device)!);
            using var _ = lease;
            var result = run(new BenchSettings(parse.GetValue(model)!, parse.GetValue(resize), parse.GetValue(batch), parse.GetValue(steps),
                parse.GetValue(warmup), parse.GetValue(threads), parse.GetValue(profile), Fold: !parse.GetValue(noFold), Device: onDevice));
            parse.InvocationConfiguration.Output.Write(parse.GetValue(json) ? BenchReport.Json(result) : BenchReport.Text(result));
            return 0;
        }));
        return command;
    }

    private static Command GemmCommand()
    {
        var size = new Option<int>("--size") { Description = "n of the n×n×n product", DefaultValueFactory = _ => 1024 };
        var steps = new Option<int>("--steps") { Description = "timed repetitions (the median is reported)", DefaultValueFactory = _ => 10 };
        var threads = Threads();
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var device = DeviceChoice.Option();
        var command = new Command("gemm", "Time C = A·B for n×n matrices with the packed SGEMM (or a device's GEMM, checked against the CPU's)") { size, steps, threads, device, json };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            GemmBenchmark.Validate(parse.GetValue(size), parse.GetValue(threads), parse.GetValue(steps));
            var (onDevice, lease) = DeviceChoice.Open(parse.GetValue(device)!);
            using var _ = lease;
            var result = GemmBenchmark.Run(parse.GetValue(size), parse.GetValue(threads), parse.GetValue(steps), device: onDevice);
            parse.InvocationConfiguration.Output.Write(parse.GetValue(json) ? BenchReport.Json(result) : BenchReport.Text(result));
            return 0;
        }));
        return command;
    }

    private static Option<int> Threads() => new("--threads") { Description = "kernel threads (0: one per core)", DefaultValueFactory = _ => 0 };
}
