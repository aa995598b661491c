namespace NetBlocks.Onnx;

/// <summary>
/// The ONNX operator-set versions (domain ai.onnx) the exporter writes, and the IR version each needs. Every operator
/// the exporter emits was checked against the ONNX operator changelog for each version in the range: below opset 7,
/// Add and Mul broadcast only with a legacy <c>broadcast</c> attribute, Gemm's C does not broadcast, BatchNormalization
/// needs <c>is_test</c> and AveragePool cannot count padding in the divisor, so 7 is the floor. The ceiling, 26, is the
/// newest opset ONNX Runtime 1.31 runs; from 19 to 26 the operators used here changed only in the element types they
/// accept (AveragePool-19 added dilations, default 1). IR versions from onnx's release table (onnx/helper.py VERSION_TABLE).
/// </summary>
public static class OnnxOpsets
{
    /// <summary>Opset 17 (ONNX 1.12): the most widely consumed.</summary>
    public const int Default = 17;

    public const int Minimum = 7;

    public const int Maximum = 26;

    /// <summary>The IR version of the ONNX release that introduced <paramref name="opset"/> (onnx's VERSION_TABLE).</summary>
    public static int IrVersion(int opset)
    {
        Validate(opset);
        return opset switch
        {
            <= 8 => 3,
            9 => 4,
            10 => 5,
            11 => 6,
            <= 14 => 7,
            <= 18 => 8,
            <= 20 => 9,
            <= 22 => 10,
            23 => 11,
            24 => 12,
            _ => 13,
        };
    }

    /// <summary>Throws a clear error for an opset outside <see cref="Minimum"/>..<see cref="Maximum"/>.</summary>
    public static void Validate(int opset)
    {
        if (opset < Minimum || opset > Maximum)
            throw new ArgumentException($"--opset {opset} is not supported: NetBlocks exports ONNX opsets {Minimum} to {Maximum} (default {Default})");
    }
}
