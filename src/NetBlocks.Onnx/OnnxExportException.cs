namespace NetBlocks.Onnx;

/// <summary>A module that cannot be written as ONNX; the message names the module (its path and type) and why.</summary>
public sealed class OnnxExportException(string message) : InvalidOperationException(message);
