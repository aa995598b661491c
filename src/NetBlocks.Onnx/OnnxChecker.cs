using Google.Protobuf;
using NetBlocks.Onnx.Protobuf;

namespace NetBlocks.Onnx;

/// <summary>
/// Loads an ONNX file and validates its graph as NetBlocks writes it: a protobuf that parses, an ai.onnx opset, float32
/// initializers whose data fits their dimensions, every node input defined before it is read (graph input, initializer
/// or an earlier node's output), every shape inferred from the input to the outputs and equal to the declared outputs.
/// Any problem is an <see cref="InvalidDataException"/> naming the file and what is wrong.
/// </summary>
public static class OnnxChecker
{
    public static OnnxModelReport Check(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)); }
        catch (InvalidProtocolBufferException e) { throw new InvalidDataException($"{path}: not an ONNX model (the protobuf does not parse: {e.Message})"); }
        try { return Check(path, model); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
        catch (OverflowException) { throw new InvalidDataException($"{path}: a dimension or element count does not fit in 64 bits"); }
    }

    private static OnnxModelReport Check(string path, ModelProto model)
    {
        if (model.IrVersion < 3) throw new InvalidDataException($"IR version {model.IrVersion} is missing or older than 3");
        var opset = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw new InvalidDataException("no ai.onnx opset is imported");
        var g = model.Graph ?? throw new InvalidDataException("the model has no graph");
        if (g.Node.Count == 0) throw new InvalidDataException("the graph has no nodes");

        var shapes = new Dictionary<string, Dim[]>(StringComparer.Ordinal);
        long parameters = 0;
        foreach (var t in g.Initializer)
        {
            var dims = Initializer(t);
            if (!shapes.TryAdd(t.Name, dims)) throw new InvalidDataException($"initializer '{t.Name}' is defined twice");
            parameters += dims.Aggregate(1L, (p, d) => p * d.Value);
        }
        var inputs = new List<OnnxValueInfo>();
        foreach (var v in g.Input)
        {
            if (shapes.ContainsKey(v.Name)) continue; // IR < 4: initializers are listed as inputs too
            shapes[v.Name] = Declared(v, "input");
            inputs.Add(Describe(v));
        }
        if (inputs.Count == 0) throw new InvalidDataException("the graph has no input that is not an initializer");

        var operators = new List<(string, int)>();
        foreach (var node in g.Node)
        {
            var known = new List<Dim[]?>();
            foreach (var input in node.Input)
            {
                if (input.Length == 0) { known.Add(null); continue; } // an omitted optional input
                known.Add(shapes.TryGetValue(input, out var s) ? s
                    : throw new InvalidDataException($"node '{node.Name}' ({node.OpType}) reads '{input}', which no graph input, initializer or earlier node defines"));
            }
            if (node.Output.Count == 0) throw new InvalidDataException($"node '{node.Name}' ({node.OpType}) has no output");
            var output = OnnxShapeInference.Infer(node, known);
            if (!shapes.TryAdd(node.Output[0], output))
                throw new InvalidDataException($"node '{node.Name}' ({node.OpType}) writes '{node.Output[0]}', which is already defined");
            int i = operators.FindIndex(o => o.Item1 == node.OpType);
            if (i < 0) operators.Add((node.OpType, 1));
            else operators[i] = (node.OpType, operators[i].Item2 + 1);
        }

        if (g.Output.Count == 0) throw new InvalidDataException("the graph has no output");
        foreach (var v in g.Output)
        {
            var declared = Declared(v, "output");
            if (!shapes.TryGetValue(v.Name, out var inferred))
                throw new InvalidDataException($"output '{v.Name}' is not produced by any node");
            if (!inferred.SequenceEqual(declared))
                throw new InvalidDataException($"output '{v.Name}' is declared {OnnxShapeInference.Format(declared)} but the graph computes {OnnxShapeInference.Format(inferred)}");
        }
        return new OnnxModelReport(path, model.IrVersion, opset.Version, $"{model.ProducerName} {model.ProducerVersion}".Trim(),
            inputs, [.. g.Output.Select(Describe)], g.Node.Count, operators, g.Initializer.Count, parameters,
            [.. model.MetadataProps.Select(p => (p.Key, p.Value))]);
    }

    private static Dim[] Initializer(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"initializer '{t.Name}' has element type {ElementType(t.DataType)}, not float32");
        if (t.Dims.Any(d => d < 0)) throw new InvalidDataException($"initializer '{t.Name}' has a negative dimension");
        long numel = t.Dims.Aggregate(1L, (p, d) => p * d);
        long stored = t.RawData.Length > 0 ? t.RawData.Length / 4 : t.FloatData.Count;
        if ((t.RawData.Length > 0 && t.RawData.Length % 4 != 0) || stored != numel)
            throw new InvalidDataException($"initializer '{t.Name}' of dims [{string.Join(", ", t.Dims)}] holds {stored} values, not {numel}");
        return [.. t.Dims.Select(Dim.Of)];
    }

    private static Dim[] Declared(ValueInfoProto v, string what)
    {
        var tensor = v.Type?.TensorType ?? throw new InvalidDataException($"{what} '{v.Name}' is not a tensor");
        if (tensor.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"{what} '{v.Name}' has element type {ElementType(tensor.ElemType)}, not float32");
        if (tensor.Shape is null) throw new InvalidDataException($"{what} '{v.Name}' has no shape");
        return [.. tensor.Shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? Dim.Of(d.DimValue)
            : d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? new Dim(0, d.DimParam)
            : throw new InvalidDataException($"{what} '{v.Name}' has a dimension with neither a size nor a name"))];
    }

    private static OnnxValueInfo Describe(ValueInfoProto v) =>
        new(v.Name, ElementType(v.Type.TensorType.ElemType), [.. v.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

    private static string ElementType(int type) => type == (int)TensorProto.Types.DataType.Float ? "float32"
        : Enum.IsDefined(typeof(TensorProto.Types.DataType), type) ? ((TensorProto.Types.DataType)type).ToString().ToLowerInvariant() : $"type {type}";
}
