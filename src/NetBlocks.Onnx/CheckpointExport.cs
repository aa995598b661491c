using System.Globalization;
using System.Text.Json;
using NetBlocks.Data;
using NetBlocks.Models;
using NetBlocks.Workflows;

namespace NetBlocks.Onnx;

/// <summary>
/// `netblocks export`: a trained checkpoint (or a state dict with its model named) to an ONNX file whose metadata says
/// what a consumer needs to feed it: the model and its spec, the class labels, the input size and the input
/// normalisation the trainer used.
/// </summary>
public static class CheckpointExport
{
    /// <summary>The trainer's input pipeline, as the metadata states it (see Workflows.FashionMnistData).</summary>
    public static string Normalization(int height, int width) =>
        $"x = pixel / 255 (torchvision ToTensor; no mean/std normalisation); 8-bit grayscale images resized to {height}x{width} with Pillow's bilinear filter";

    /// <summary>
    /// Loads <paramref name="checkpoint"/>, exports it for (C, H, W) = <paramref name="inputChw"/> (default: 1 channel at
    /// the training resolution) and writes <paramref name="output"/> atomically. Returns the input it was exported for.
    /// </summary>
    public static int[] Run(string checkpoint, string output, int opset = OnnxOpsets.Default, int[]? inputChw = null,
        string? model = null, int? resize = null)
    {
        OnnxOpsets.Validate(opset);
        if (Path.GetFullPath(output) == Path.GetFullPath(checkpoint))
            throw new ArgumentException($"--onnx {output} is the checkpoint itself; choose another file name");
        var m = InferenceModel.Load(checkpoint, model, resize, fold: false); // the export translates the declared modules
        var input = inputChw ?? [1, m.Resize, m.Resize];
        if (input[0] != 1)
            throw new ArgumentException($"--input {string.Join(",", input)}: {m.Name} from '{checkpoint}' takes 1-channel (grayscale) images, so C must be 1");
        var labels = m.Classes == FashionMnist.TextLabels.Count ? FashionMnist.TextLabels
            : [.. Enumerable.Range(0, m.Classes).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        var options = new OnnxExportOptions
        {
            Opset = opset,
            GraphName = m.Name,
            Metadata = new Dictionary<string, string>
            {
                ["netblocks.model"] = m.Name,
                ["netblocks.spec"] = ModelZoo.Parse(m.Name).ToSpec(),
                ["netblocks.classes"] = JsonSerializer.Serialize(labels),
                ["netblocks.input"] = string.Join(",", input),
                ["netblocks.normalization"] = Normalization(input[1], input[2]),
                ["netblocks.checkpoint"] = Path.GetFileName(checkpoint),
            },
        };
        OnnxExporter.Save(m.Model, input, output, options);
        return input;
    }
}
