using Google.Protobuf;
using NetBlocks.Nn;
using NetBlocks.Onnx.Protobuf;
using NetBlocks.Tensors;

namespace NetBlocks.Onnx;

/// <summary>
/// Writes a materialised NetBlocks module as an ONNX model of its eval-mode forward: Conv, BatchNormalization (running
/// statistics), Relu, MaxPool, AveragePool, GlobalAveragePool, Flatten, Gemm, Add, Mul and Sigmoid; Dropout leaves
/// nothing behind. One float32 input (batch, C, H, W) and one output (batch, classes), both with a dynamic batch
/// dimension; parameters as initializers under their state-dict names. The module is only read: neither its weights nor
/// its train/eval mode change.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The model as an ONNX protobuf, for an input of (C, H, W) = <paramref name="inputChw"/>.</summary>
    /// <exception cref="ArgumentException">the input shape or the opset is invalid, or the model does not take the input.</exception>
    /// <exception cref="OnnxExportException">a module has no ONNX form (the message names it).</exception>
    public static byte[] ToBytes(Module module, int[] inputChw, OnnxExportOptions? options = null) =>
        Build(module, inputChw, options ?? new OnnxExportOptions()).ToByteArray();

    /// <summary>Writes <see cref="ToBytes"/> to <paramref name="path"/> atomically: a failure leaves no file behind.</summary>
    public static void Save(Module module, int[] inputChw, string path, OnnxExportOptions? options = null)
    {
        var bytes = ToBytes(module, inputChw, options);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"cannot write '{path}': the folder '{dir}' does not exist");
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    internal static ModelProto Build(Module module, int[] inputChw, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (inputChw is null || inputChw.Length != 3 || inputChw.Any(d => d < 1))
            throw new ArgumentException($"the input must be (C, H, W) with positive sizes, got {(inputChw is null ? "null" : ShapeUtil.Format(inputChw))}");
        int irVersion = OnnxOpsets.IrVersion(options.Opset);
        foreach (var (what, name) in new[] { ("input", options.InputName), ("output", options.OutputName), ("batch dimension", options.BatchDimension) })
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"the ONNX {what} name must not be empty");
        if (options.InputName == options.OutputName)
            throw new ArgumentException($"the ONNX input and output names must differ, both are '{options.InputName}'");
        if (!module.IsMaterialized)
            throw new OnnxExportException($"cannot export {module.Describe()} to ONNX: it has lazy layers that are not materialised; call Build(input shape) and load or train its weights first");
        int[] input = [1, .. inputChw];
        module.Build(input); // the model's own shape errors (naming the layer) before any translation

        var graph = new OnnxGraphBuilder(options.Opset);
        string x = graph.Reserve(options.InputName);
        // The translation writes eval-mode semantics whatever the module's mode, and reads the module without
        // changing it (no mode switch, no forward pass).
        var output = new ModuleTranslator(graph).Emit(module, x, input);
        if (output.Value == x) output.Value = graph.Node("Identity", "", [x]);
        graph.RenameLastOutput(output.Value, options.OutputName);

        var g = new GraphProto { Name = options.GraphName };
        g.Node.AddRange(graph.Nodes);
        g.Initializer.AddRange(graph.Initializers);
        g.Input.Add(Value(options.InputName, options.BatchDimension, inputChw));
        // Before IR 4 every initializer must also be declared as a graph input.
        if (irVersion < 4)
            foreach (var init in graph.Initializers) g.Input.Add(Value(init.Name, null, init.Dims.Select(d => (int)d).ToArray()));
        g.Output.Add(Value(options.OutputName, options.BatchDimension, output.Shape[1..]));

        var model = new ModelProto
        {
            IrVersion = irVersion,
            ProducerName = "NetBlocks",
            ProducerVersion = typeof(Module).Assembly.GetName().Version?.ToString(3) ?? "",
            Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        foreach (var (key, value) in options.Metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    /// <summary>A float32 tensor value: (batch, dims…) with a named batch dimension, or just dims when batch is null.</summary>
    private static ValueInfoProto Value(string name, string? batch, int[] dims)
    {
        var shape = new TensorShapeProto();
        if (batch is not null) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
