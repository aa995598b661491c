using Google.Protobuf;
using NetBlocks.Onnx.Protobuf;
using NetBlocks.Tensors;

namespace NetBlocks.Onnx;

/// <summary>
/// The nodes and initializers of one ONNX graph as a translation emits them: float32 initializers under their
/// state-dict names, nodes in topological order, unique value names. Knows ONNX, not NetBlocks modules.
/// </summary>
internal sealed class OnnxGraphBuilder(int opset)
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _opCounts = new(StringComparer.Ordinal);

    public int Opset { get; } = opset;
    public List<NodeProto> Nodes { get; } = new();
    public List<TensorProto> Initializers { get; } = new();

    /// <summary>Reserves a value name (the graph input's, for instance); the same name twice is a bug in the caller.</summary>
    public string Reserve(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"the ONNX value name '{name}' is used twice");
        return name;
    }

    /// <summary>A float32 initializer holding a copy of <paramref name="values"/>.</summary>
    public string Initializer(string name, Tensor values) => Initializer(name, values.Shape, values.ToArray());

    public string Initializer(string name, ReadOnlySpan<int> dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = Reserve(name), DataType = (int)TensorProto.Types.DataType.Float };
        foreach (var d in dims) tensor.Dims.Add(d);
        var bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian) System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes);
        else for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        tensor.RawData = ByteString.CopyFrom(bytes); // raw_data is little-endian by the ONNX spec
        Initializers.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Appends a node named <c>{scope}/{op}</c> with one fresh output and returns the output's name.</summary>
    public string Node(string op, string scope, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var baseName = (scope.Length == 0 ? "" : scope + "/") + op;
        var name = Unique(baseName);
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(Reserve(name + "_output"));
        node.Attribute.AddRange(attributes);
        Nodes.Add(node);
        return node.Output[0];
    }

    /// <summary>Renames the graph's last value (the output of its last node) to <paramref name="name"/>.</summary>
    public void RenameLastOutput(string from, string name)
    {
        var last = Nodes.LastOrDefault(n => n.Output.Contains(from))
            ?? throw new InvalidOperationException($"no node produces '{from}'");
        last.Output[last.Output.IndexOf(from)] = Reserve(name);
        _names.Remove(from);
    }

    private string Unique(string baseName)
    {
        int n = _opCounts.GetValueOrDefault(baseName);
        _opCounts[baseName] = n + 1;
        var name = n == 0 ? baseName : $"{baseName}_{n}";
        while (_names.Contains(name + "_output")) name = $"{baseName}_{++n}";
        return name;
    }

    public static AttributeProto Ints(string name, params int[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        foreach (var v in values) a.Ints.Add(v);
        return a;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
}
