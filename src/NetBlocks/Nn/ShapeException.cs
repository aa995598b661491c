namespace NetBlocks.Nn;

/// <summary>A shape mismatch at a named layer: the message starts with the layer's path in the model (e.g. stage2.0.conv2).</summary>
public sealed class ShapeException(string message, Exception? inner = null) : ArgumentException(message, inner);
