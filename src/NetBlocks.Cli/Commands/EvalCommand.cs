using System.CommandLine;
using System.Text;
using NetBlocks.Data;
using NetBlocks.Serialization;
using NetBlocks.Training;
using NetBlocks.Workflows;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks eval CHECKPOINT`: loss, accuracy and the confusion matrix on the Fashion-MNIST test split.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "a checkpoint or model.safetensors written by `netblocks train` (or a PyTorch state dict with --model)" };
        var data = TrainCommand.DataOption();
        var noVerify = TrainCommand.NoVerifyOption();
        var (model, resize) = ModelOptions();
        var batch = new Option<int>("--batch") { Description = "evaluation batch size", DefaultValueFactory = _ => 256 };
        var limit = new Option<int>("--limit") { Description = "use only the first N test images (0: all)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var noFold = EvalCommand.NoFoldOption();
        var threads = ThreadsOption();
        var device = DeviceChoice.Option();
        var command = new Command("eval", "Accuracy, loss and the 10×10 confusion matrix of a trained model on the Fashion-MNIST test split")
        {
            checkpoint, data, noVerify, model, resize, batch, limit, threads, device, noFold, json,
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            int batchSize = OptionRange.AtLeast(parse.GetValue(batch), 1, "--batch"), limitImages = OptionRange.AtLeast(parse.GetValue(limit), 0, "--limit", "0 = all images");
            var (onDevice, lease) = DeviceChoice.Open(parse.GetValue(device)!);
            using var _lease = lease;
            using var context = Context(parse.GetValue(threads), onDevice);
            var m = InferenceModel.Load(parse.GetValue(checkpoint)!, parse.GetValue(model), parse.GetValue(resize), context: context, fold: !parse.GetValue(noFold));
            var fm = TrainCommand.LoadData(parse.GetValue(data), parse.GetValue(noVerify));
            var settings = new TrainingSettings { Model = m.Name, Resize = m.Resize, Batch = batchSize, LimitVal = limitImages };
            var (_, val) = FashionMnistData.Loaders(fm, settings);
            using var _v = val;
            var (loss, acc, confusion) = m.Evaluate(val);
            var output = parse.InvocationConfiguration.Output;
            var names = FashionMnist.TextLabels;
            if (parse.GetValue(json))
            {
                var rows = Enumerable.Range(0, m.Classes).Select(i => Enumerable.Range(0, m.Classes).Select(j => confusion[i, j]).ToArray()).ToArray();
                output.WriteLine(FiniteJson.Serialize(new { model = m.Name, resize = m.Resize, device = context.Device.ToString(), images = val.Count, loss, accuracy = acc, labels = names, confusion = rows }));
                return 0;
            }
            output.WriteLine($"{m.Name} at {m.Resize}×{m.Resize} on {val.Count} test images ({context.Device}): loss {loss:F4}, accuracy {acc:F4}");
            output.WriteLine();
            output.Write(Confusion(confusion, names));
            return 0;
        }));
        return command;
    }

    /// <summary>--no-fold of `eval` and `predict`: run the model as declared, without its inference plan.</summary>
    internal static Option<bool> NoFoldOption() => new("--no-fold")
    {
        Description = "run the model as declared, without the inference plan (batch norm folded into the convolutions, weights packed once, ReLUs in the convolution's store)",
    };

    /// <summary>--threads of `eval` and `predict`: the kernels' thread count of the run's execution context.</summary>
    internal static Option<int> ThreadsOption() => new("--threads") { Description = "kernel threads (0: one per core)", DefaultValueFactory = _ => 0 };

    /// <summary>The run's execution context, from --threads (checked: at least 0) and the device --device opened.</summary>
    internal static ExecutionContext Context(int threads, NetBlocks.Tensors.Device device) =>
        new(OptionRange.AtLeast(threads, 0, "--threads", "0 = one per core"), device: device);

    internal static (Option<string?> Model, Option<int?> Resize) ModelOptions() => (
        new Option<string?>("--model") { Description = "the model the weights belong to, when the file does not say (e.g. a PyTorch state dict)" },
        new Option<int?>("--resize") { Description = "input resolution, when the file does not say" });

    /// <summary>Rows: true class; columns: predicted class; with per-class recall.</summary>
    internal static string Confusion(long[,] c, IReadOnlyList<string> names)
    {
        int k = c.GetLength(0);
        var sb = new StringBuilder();
        sb.Append("true \\ predicted".PadRight(18));
        for (int j = 0; j < k; j++) sb.Append(Short(names, j).PadLeft(7));
        sb.Append("  recall\n");
        for (int i = 0; i < k; i++)
        {
            sb.Append((i < names.Count ? names[i] : i.ToString()).PadRight(18));
            long total = 0;
            for (int j = 0; j < k; j++) { sb.Append(c[i, j].ToString().PadLeft(7)); total += c[i, j]; }
            sb.Append(total == 0 ? "       -" : $"  {(double)c[i, i] / total,6:F3}").Append('\n');
        }
        return sb.ToString();
    }

    private static string Short(IReadOnlyList<string> names, int j)
    {
        var n = j < names.Count ? names[j] : j.ToString();
        return n.Length <= 6 ? n : n[..6];
    }
}
