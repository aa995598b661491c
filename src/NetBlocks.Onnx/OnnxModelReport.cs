namespace NetBlocks.Onnx;

/// <summary>A graph input or output: name, element type and dimensions (a number, or the name of a dynamic one).</summary>
public sealed record OnnxValueInfo(string Name, string ElementType, IReadOnlyList<string> Dims)
{
    public override string ToString() => $"{Name} {ElementType} [{string.Join(", ", Dims)}]";
}

/// <summary>What <see cref="OnnxChecker"/> found in a valid ONNX file.</summary>
public sealed record OnnxModelReport(
    string Path,
    long IrVersion,
    long Opset,
    string Producer,
    IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs,
    int NodeCount,
    IReadOnlyList<(string Operator, int Count)> Operators,
    int InitializerCount,
    long ParameterCount,
    IReadOnlyList<(string Key, string Value)> Metadata);
