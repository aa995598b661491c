namespace NetBlocks.Onnx;

/// <summary>How <see cref="OnnxExporter"/> writes a model: opset, the graph's value names and the model's metadata.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The ai.onnx operator set, <see cref="OnnxOpsets.Minimum"/> to <see cref="OnnxOpsets.Maximum"/>.</summary>
    public int Opset { get; init; } = OnnxOpsets.Default;

    /// <summary>The graph input, float32 (batch, C, H, W) with a dynamic batch dimension.</summary>
    public string InputName { get; init; } = "x";

    /// <summary>The graph output, float32 (batch, classes): the logits.</summary>
    public string OutputName { get; init; } = "logits";

    /// <summary>The name of the dynamic batch dimension (ONNX dim_param).</summary>
    public string BatchDimension { get; init; } = "batch";

    /// <summary>The graph's name (e.g. the model spec).</summary>
    public string GraphName { get; init; } = "netblocks";

    /// <summary>Key/value pairs stored as the model's metadata_props (model spec, classes, input size, normalisation…).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
