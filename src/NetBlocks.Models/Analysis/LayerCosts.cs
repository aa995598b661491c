using NetBlocks.Kernels;
using NetBlocks.Nn;

namespace NetBlocks.Analysis;

/// <summary>Which part of the network a layer's parameters and MACs belong to.</summary>
public enum LayerKind
{
    /// <summary>Conv2d (1×1 convolutions included).</summary>
    Conv,
    /// <summary>Linear: the fully connected layers.</summary>
    FullyConnected,
    /// <summary>Everything else (batch norm, activations, pools, reshapes, containers).</summary>
    Other,
}

/// <summary>What a tensor-level op keeps for backward, besides parameters.</summary>
[Flags]
public enum Saves
{
    None = 0,
    Input = 1,
    Output = 2,
}

/// <summary>
/// The cost of one leaf op applied once, from its input and output shapes (batch included).
/// <paramref name="Macs"/>: multiply-accumulates of a convolution or a linear layer, bias excluded (0 for every other op).
/// <paramref name="WorkspaceElements"/>: float32 scratch the NetBlocks kernel needs while it runs (the im2col column buffer).
/// <paramref name="Saves"/> and <paramref name="ExtraSavedBytes"/>: what training keeps for backward (indices, masks, statistics).
/// <paramref name="AliasInInference"/> / <paramref name="AliasInTraining"/>: the output shares the input's buffer (a view or the identity).
/// </summary>
public readonly record struct LeafCost(
    LayerKind Kind, long Macs, long WorkspaceElements, Saves Saves, long ExtraSavedBytes, bool AliasInInference, bool AliasInTraining);

/// <summary>
/// Per-layer costs as one pattern match over the layer types, so the Nn classes stay free of analysis code.
/// Formulas (N batch, C/OC input/output channels, K kernel, OH×OW output plane, g groups):
/// <list type="bullet">
/// <item>Conv2d: MACs = N·OC·OH·OW·(C/g)·K·K; workspace (C/g)·K·K·OH·OW floats (one sample and group at a time; 0 for a
/// 1×1 stride-1 unpadded convolution, which reads its input directly); saves its input.</item>
/// <item>Linear: MACs = rows·in·out (rows = N for a 2-D input); saves its input.</item>
/// <item>BatchNorm2d: saves its input plus the batch mean and 1/std (2·C floats).</item>
/// <item>ReLU, Sigmoid: save their output. MaxPool2d: the argmax, one int32 per output element. Dropout (training):
/// its float32 mask, one per element; in evaluation it is the identity. Avg/adaptive pools save nothing.</item>
/// <item>Flatten, Identity: views of their input (no new buffer, nothing saved).</item>
/// </list>
/// An unknown leaf type is assumed to compute no MACs, to allocate its output and to save its input.
/// </summary>
public static class LayerCosts
{
    public const int BytesPerElement = sizeof(float);

    public static LeafCost Of(Module leaf, int[] input, int[] output) => leaf switch
    {
        Conv2d c => Conv(c, input, output),
        Linear => new(LayerKind.FullyConnected, LinearMacs(input, output), 0, Saves.Input, 0, false, false),
        BatchNorm2d => new(LayerKind.Other, 0, 0, Saves.Input, Bytes(2L * input[1]), false, false),
        ReLU or Sigmoid => new(LayerKind.Other, 0, 0, Saves.Output, 0, false, false),
        MaxPool2d => new(LayerKind.Other, 0, 0, Saves.None, Bytes(Numel(output)), false, false),
        AvgPool2d or AdaptiveAvgPool2d => new(LayerKind.Other, 0, 0, Saves.None, 0, false, false),
        Dropout d => d.P == 0
            ? new(LayerKind.Other, 0, 0, Saves.None, 0, true, true)
            : new(LayerKind.Other, 0, 0, Saves.None, Bytes(Numel(output)), true, false),
        Flatten or Identity => new(LayerKind.Other, 0, 0, Saves.None, 0, true, true),
        _ => new(LayerKind.Other, 0, 0, Saves.Input, 0, false, false),
    };

    /// <summary>N·OC·OH·OW·(C/groups)·KH·KW: one multiply-add per weight per output position.</summary>
    public static long ConvMacs(int[] input, int[] output, int kernelH, int kernelW, int groups) =>
        Sizes.Product([.. output, input[1] / groups, kernelH, kernelW], "conv MACs of");

    /// <summary>rows·in·out where rows is every dimension but the last (N for an (N, in) input).</summary>
    public static long LinearMacs(int[] input, int[] output) => Sizes.Multiply(Numel(input), output[^1], "linear MACs");

    private static LeafCost Conv(Conv2d c, int[] input, int[] output)
    {
        bool pointwise = c.KernelSize == 1 && c.Stride == 1 && c.Padding == 0;
        long workspace = pointwise ? 0 : Sizes.Product([input[1] / c.Groups, c.KernelSize, c.KernelSize, output[2], output[3]], "im2col workspace");
        return new(LayerKind.Conv, ConvMacs(input, output, c.KernelSize, c.KernelSize, c.Groups), workspace, Saves.Input, 0, false, false);
    }

    /// <summary>The kind of a module's own parameters: Conv2d → conv, Linear → fully connected, else other.</summary>
    public static LayerKind KindOf(Module module) => module switch
    {
        Conv2d => LayerKind.Conv,
        Linear => LayerKind.FullyConnected,
        _ => LayerKind.Other,
    };

    /// <summary>Bytes of <paramref name="elements"/> float32 (or int32) values, in checked 64-bit arithmetic.</summary>
    public static long Bytes(long elements) => Sizes.Multiply(elements, BytesPerElement, "bytes");

    /// <summary>Elements of a shape, in checked 64-bit arithmetic.</summary>
    public static long Numel(int[] shape) => Sizes.Product(shape);
}
