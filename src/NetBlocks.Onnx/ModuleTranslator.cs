using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using static NetBlocks.Onnx.OnnxGraphBuilder;

namespace NetBlocks.Onnx;

/// <summary>
/// Emits a module's eval-mode forward as ONNX nodes: one case per layer and per block. A block's case restates its
/// forward (which children run in which order, where the residual sum and the activations are) in ONNX terms, reading
/// its children by their state-dict names; Dropout and Identity emit nothing. Shapes come from the modules' own
/// shape pass (batch 1), so a layer that ONNX cannot express for this input is refused with its name.
/// </summary>
internal sealed class ModuleTranslator(OnnxGraphBuilder graph)
{
    /// <summary>The module types with a translation, for the error message of one without.</summary>
    public const string Supported =
        "Sequential, Conv2d, BatchNorm2d, ReLU, Sigmoid, Identity, Dropout, Flatten, Linear, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, " +
        "ResNeXtBlock, ResNetBlock (Residual), SqueezeExcitation, RegNetModel, ResBottleneckBlock, ResBasicBlock and the RegNet containers";

    /// <summary>Emits <paramref name="m"/> applied to the value <paramref name="x"/> of shape <paramref name="shape"/>.</summary>
    public (string Value, int[] Shape) Emit(Module m, string x, int[] shape) => m switch
    {
        Sequential or Chain => EmitInOrder(m, x, shape),
        Conv2d conv => (Conv(conv, x), m.Build(shape)),
        BatchNorm2d bn => (BatchNorm(bn, x), m.Build(shape)),
        ReLU => (graph.Node("Relu", m.Path, [x]), shape),
        Sigmoid => (graph.Node("Sigmoid", m.Path, [x]), shape),
        Identity or Dropout => (x, shape),
        Flatten f => (Flatten(f, x, shape), m.Build(shape)),
        Linear linear => (Gemm(linear, x), m.Build(shape)),
        MaxPool2d p => (Pool("MaxPool", m, x, p.KernelSize, p.Stride, p.Padding), m.Build(shape)),
        AvgPool2d p => (Pool("AveragePool", m, x, p.KernelSize, p.Stride, p.Padding), m.Build(shape)),
        AdaptiveAvgPool2d p => (AdaptivePool(p, x, shape), m.Build(shape)),
        SqueezeExcitation se => (SqueezeExcite(se, x, shape), m.Build(shape)),
        ResNeXtBlock or ResNetBlock => ResidualD2l(m, x, shape),
        ResBottleneckBlock or ResBasicBlock => ResidualTorchvision(m, x, shape),
        RegNetModel => RegNet(m, x, shape),
        _ => throw Refuse(m, $"{m.TypeName} has no ONNX translation (exportable: {Supported})"),
    };

    public static OnnxExportException Refuse(Module m, string why) => new($"cannot export {m.Describe()} to ONNX: {why}");

    private (string, int[]) EmitInOrder(Module m, string x, int[] shape)
    {
        foreach (var (_, child) in m.Children) (x, shape) = Emit(child, x, shape);
        return (x, shape);
    }

    private static Module Child(Module m, string name) => Find(m, name) ?? throw Refuse(m, $"it has no child '{name}'");

    private static Module? Find(Module m, string name)
    {
        foreach (var (n, child) in m.Children) if (n == name) return child;
        return null;
    }

    private string Param(Module m, string name, Tensor? value) =>
        graph.Initializer(m.Path.Length == 0 ? name : $"{m.Path}.{name}", value ?? throw Refuse(m, $"its {name} is not materialised"));

    private string Conv(Conv2d c, string x)
    {
        var inputs = new List<string> { x, Param(c, "weight", c.Weight) };
        if (c.HasBias) inputs.Add(Param(c, "bias", c.Bias));
        int k = c.KernelSize, s = c.Stride, p = c.Padding;
        return graph.Node("Conv", c.Path, inputs, Ints("dilations", 1, 1), Int("group", c.Groups), Ints("kernel_shape", k, k),
            Ints("pads", p, p, p, p), Ints("strides", s, s));
    }

    private string BatchNorm(BatchNorm2d bn, string x) =>
        graph.Node("BatchNormalization", bn.Path,
            [x, Param(bn, "weight", bn.Weight), Param(bn, "bias", bn.Bias), Param(bn, "running_mean", bn.RunningMean), Param(bn, "running_var", bn.RunningVar)],
            Float("epsilon", bn.Eps));

    private string Flatten(Flatten f, string x, int[] shape)
    {
        int start = ShapeUtil.NormalizeDim(f.StartDim, shape.Length), end = ShapeUtil.NormalizeDim(f.EndDim, shape.Length);
        if (start != 1 || end != shape.Length - 1)
            throw Refuse(f, $"only Flatten(start_dim=1, end_dim=-1) has an ONNX Flatten; this one merges dimensions {start}..{end} of {ShapeUtil.Format(shape)}");
        return graph.Node("Flatten", f.Path, [x], Int("axis", 1));
    }

    private string Gemm(Linear l, string x)
    {
        var inputs = new List<string> { x, Param(l, "weight", l.Weight) };
        if (l.HasBias) inputs.Add(Param(l, "bias", l.Bias));
        else if (graph.Opset < 11) // C became optional in Gemm-11
            inputs.Add(graph.Initializer(l.Path.Length == 0 ? "bias" : $"{l.Path}.bias", [l.OutFeatures], new float[l.OutFeatures]));
        return graph.Node("Gemm", l.Path, inputs, Float("alpha", 1f), Float("beta", 1f), Int("transB", 1));
    }

    private string Pool(string op, Module m, string x, int k, int s, int p)
    {
        var attrs = new List<Protobuf.AttributeProto> { Ints("kernel_shape", k, k), Ints("pads", p, p, p, p), Ints("strides", s, s) };
        // NetBlocks' (and PyTorch's) average pooling counts the zero padding in the divisor; ONNX's default does not.
        if (op == "AveragePool" && p > 0) attrs.Add(Int("count_include_pad", 1));
        return graph.Node(op, m.Path, [x], [.. attrs]);
    }

    private string AdaptivePool(AdaptiveAvgPool2d p, string x, int[] shape)
    {
        if (p.OutH == 1 && p.OutW == 1) return graph.Node("GlobalAveragePool", p.Path, [x]);
        int h = shape[2], w = shape[3];
        if (h % p.OutH != 0 || w % p.OutW != 0)
            throw Refuse(p, $"adaptive pooling of {h}×{w} to {p.OutH}×{p.OutW} has uneven windows, which no ONNX pooling operator expresses; export at an input whose size is a multiple of the output size");
        int kh = h / p.OutH, kw = w / p.OutW;
        return graph.Node("AveragePool", p.Path, [x], Ints("kernel_shape", kh, kw), Ints("pads", 0, 0, 0, 0), Ints("strides", kh, kw));
    }

    /// <summary>SqueezeExcitation's forward: x · σ(fc2(ReLU(fc1(avgpool(x))))).</summary>
    private string SqueezeExcite(SqueezeExcitation se, string x, int[] shape)
    {
        var (s, sShape) = Emit(Child(se, "avgpool"), x, shape);
        (s, sShape) = Emit(Child(se, "fc1"), s, sShape);
        s = graph.Node("Relu", se.Path, [s]);
        (s, _) = Emit(Child(se, "fc2"), s, sShape);
        s = graph.Node("Sigmoid", se.Path, [s]);
        return graph.Node("Mul", se.Path, [x, s]);
    }

    /// <summary>
    /// d2l's ResNeXtBlock (conv1 bn1 ReLU conv2 bn2 ReLU [se] conv3 bn3; shortcut conv4 bn4) and Residual (conv1 bn1
    /// ReLU conv2 bn2; shortcut conv3), then ReLU(Y + X).
    /// </summary>
    private (string, int[]) ResidualD2l(Module block, string x, int[] shape)
    {
        bool resnext = block is ResNeXtBlock;
        var (y, yShape) = Emit(Child(block, "conv1"), x, shape);
        (y, yShape) = Emit(Child(block, "bn1"), y, yShape);
        y = graph.Node("Relu", block.Path, [y]);
        (y, yShape) = Emit(Child(block, "conv2"), y, yShape);
        (y, yShape) = Emit(Child(block, "bn2"), y, yShape);
        if (resnext)
        {
            y = graph.Node("Relu", block.Path, [y]);
            if (Find(block, "se") is { } se) (y, yShape) = Emit(se, y, yShape);
            (y, yShape) = Emit(Child(block, "conv3"), y, yShape);
            (y, yShape) = Emit(Child(block, "bn3"), y, yShape);
        }
        var shortcut = x;
        var projection = Find(block, resnext ? "conv4" : "conv3");
        if (projection is not null)
        {
            (shortcut, var sShape) = Emit(projection, x, shape);
            if (resnext) (shortcut, _) = Emit(Child(block, "bn4"), shortcut, sShape);
        }
        var sum = graph.Node("Add", block.Path, [y, shortcut]);
        return (graph.Node("Relu", block.Path, [sum]), block.Build(shape));
    }

    /// <summary>torchvision's ResBottleneckBlock and ResBasicBlock: activation(proj(x) + f(x)).</summary>
    private (string, int[]) ResidualTorchvision(Module block, string x, int[] shape)
    {
        var (y, _) = Emit(Child(block, "f"), x, shape);
        var shortcut = Find(block, "proj") is { } proj ? Emit(proj, x, shape).Value : x;
        var sum = graph.Node("Add", block.Path, [shortcut, y]);
        return Emit(Child(block, "activation"), sum, block.Build(shape));
    }

    /// <summary>torchvision's RegNet: stem, trunk_output, avgpool, flatten, fc.</summary>
    private (string, int[]) RegNet(Module model, string x, int[] shape)
    {
        (x, shape) = Emit(Child(model, "stem"), x, shape);
        (x, shape) = Emit(Child(model, "trunk_output"), x, shape);
        (x, shape) = Emit(Child(model, "avgpool"), x, shape);
        x = graph.Node("Flatten", model.Path, [x], Int("axis", 1));
        return Emit(Child(model, "fc"), x, [shape[0], shape[1] * shape[2] * shape[3]]);
    }
}
