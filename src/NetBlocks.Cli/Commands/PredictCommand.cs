using System.CommandLine;
using NetBlocks.Data;
using NetBlocks.Reporting.Images;
using NetBlocks.Serialization;
using NetBlocks.Workflows;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks predict CHECKPOINT IMAGE…`: the top classes of 28×28 grayscale images or test-set images.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "a checkpoint or model.safetensors written by `netblocks train`" };
        var images = new Argument<string[]>("images") { Description = "28×28 grayscale PNG or PGM files", Arity = ArgumentArity.ZeroOrMore };
        var index = new Option<int[]>("--index") { Description = "test-set image indices (repeatable)", AllowMultipleArgumentsPerToken = true };
        var data = TrainCommand.DataOption();
        var noVerify = TrainCommand.NoVerifyOption();
        var (model, resize) = EvalCommand.ModelOptions();
        var top = new Option<int>("--top") { Description = "classes to show per image", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var noFold = EvalCommand.NoFoldOption();
        var threads = EvalCommand.ThreadsOption();
        var device = DeviceChoice.Option();
        var command = new Command("predict", "Top classes with probabilities for Fashion-MNIST-like images (PNG/PGM files or test-set indices)")
        {
            checkpoint, images, index, data, noVerify, model, resize, top, threads, device, noFold, json,
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            int topK = OptionRange.AtLeast(parse.GetValue(top), 1, "--top");
            var files = parse.GetValue(images) ?? [];
            var indices = parse.GetValue(index) ?? [];
            if (files.Length == 0 && indices.Length == 0) throw new ArgumentException("give image files or --index I for test-set images");
            var (onDevice, lease) = DeviceChoice.Open(parse.GetValue(device)!);
            using var _lease = lease;
            using var context = EvalCommand.Context(parse.GetValue(threads), onDevice);
            var m = InferenceModel.Load(parse.GetValue(checkpoint)!, parse.GetValue(model), parse.GetValue(resize), context: context, fold: !parse.GetValue(noFold));
            var inputs = new List<(string Name, int? Truth, (int, int, byte[]) Image)>();
            foreach (var f in files)
            {
                inputs.Add((f, null, ImageFile.ReadGray(f, expected: (28, 28))));
            }
            if (indices.Length > 0)
            {
                var test = TrainCommand.LoadData(parse.GetValue(data), parse.GetValue(noVerify)).Test;
                foreach (var i in indices)
                {
                    if (i < 0 || i >= test.Count) throw new ArgumentException($"--index {i} is out of range: the test set has {test.Count} images (0–{test.Count - 1})");
                    inputs.Add(($"test[{i}]", test.Labels[i], (28, 28, test.Image(i).ToArray())));
                }
            }
            var probs = m.Probabilities(m.Prepare(inputs.Select(i => i.Image).ToList()));
            var names = FashionMnist.TextLabels;
            int k = Math.Min(topK, m.Classes);
            var results = inputs.Select((inp, n) => new
            {
                image = inp.Name,
                truth = inp.Truth is int t ? names[t] : null,
                top = probs[n].Select((p, c) => (p, c)).OrderByDescending(x => x.p).Take(k)
                    .Select(x => new { label = x.c < names.Count ? names[x.c] : x.c.ToString(), probability = x.p }).ToArray(),
            }).ToArray();
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) { output.WriteLine(FiniteJson.Serialize(new { model = m.Name, device = context.Device.ToString(), predictions = results })); return 0; }
            foreach (var r in results)
            {
                output.WriteLine(r.truth is null ? r.image : $"{r.image} (true: {r.truth})");
                foreach (var t in r.top) output.WriteLine($"  {t.label,-12} {t.probability,7:P1}");
            }
            return 0;
        }));
        return command;
    }
}
