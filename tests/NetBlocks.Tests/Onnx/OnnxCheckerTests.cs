using Google.Protobuf;
using NetBlocks.Onnx;
using NetBlocks.Onnx.Protobuf;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Onnx;

/// <summary>OnnxChecker: the report of a good file, and one clear error naming the file for each kind of broken one.</summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class OnnxCheckerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-onnx-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ModelProto Exported(int opset = OnnxOpsets.Default) =>
        ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(OnnxRuntimeCheck.Model("regnetx32", [1, 28, 28]), [1, 28, 28],
            new OnnxExportOptions { Opset = opset, Metadata = new Dictionary<string, string> { ["netblocks.model"] = "regnetx32" } }));

    private string Write(ModelProto model, string name = "m.onnx")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void ReportsOpsetInputsOutputsOperatorsAndParameters()
    {
        var model = OnnxRuntimeCheck.Model("regnetx32", [1, 28, 28]);
        var path = Path.Combine(_dir, "r.onnx");
        OnnxExporter.Save(model, [1, 28, 28], path);
        var r = OnnxChecker.Check(path);
        Assert.Equal(17, r.Opset);
        Assert.Equal(8, r.IrVersion);
        Assert.Equal("x float32 [batch, 1, 28, 28]", r.Inputs.Single().ToString());
        Assert.Equal("logits float32 [batch, 10]", r.Outputs.Single().ToString());
        long bnStatistics = model.NamedBuffers().Where(b => b.Name.EndsWith("running_mean") || b.Name.EndsWith("running_var")).Sum(b => (long)b.Buffer.Numel);
        Assert.Equal(model.ParameterCount + bnStatistics, r.ParameterCount);
        Assert.Equal(["Conv", "BatchNormalization", "Relu", "Add", "GlobalAveragePool", "Flatten", "Gemm"], r.Operators.Select(o => o.Operator));
        Assert.Equal(r.NodeCount, r.Operators.Sum(o => o.Count));
        Assert.Equal(1, r.Operators.Single(o => o.Operator == "Gemm").Count);
    }

    [Fact]
    public void AnOpset7FileListsItsInitializersAsInputsAndStillChecks()
    {
        var model = Exported(7);
        Assert.Equal(3, model.IrVersion);
        Assert.Equal(model.Graph.Initializer.Count + 1, model.Graph.Input.Count);
        var r = OnnxChecker.Check(Write(model));
        Assert.Equal("x", r.Inputs.Single().Name);
        Assert.Equal(7, r.Opset);
    }

    [Fact]
    public void BrokenFilesAreNamedWithWhatIsWrong()
    {
        var garbage = Path.Combine(_dir, "garbage.onnx");
        File.WriteAllBytes(garbage, [0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
        Assert.StartsWith($"{garbage}: not an ONNX model (the protobuf does not parse: ", Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(garbage)).Message);

        var missing = Path.Combine(_dir, "missing.onnx");
        Assert.Equal($"{missing}: no such file", Assert.Throws<FileNotFoundException>(() => OnnxChecker.Check(missing)).Message);

        var model = Exported();
        var dropped = model.Graph.Initializer.First(t => t.Name.EndsWith("running_var"));
        model.Graph.Initializer.Remove(dropped);
        var path = Write(model, "no-init.onnx");
        var reader = model.Graph.Node.First(n => n.Input.Contains(dropped.Name));
        Assert.Equal($"{path}: node '{reader.Name}' (BatchNormalization) reads '{dropped.Name}', which no graph input, initializer or earlier node defines",
            Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(path)).Message);

        model = Exported();
        model.Graph.Output[0].Type.TensorType.Shape.Dim[1].DimValue = 12;
        path = Write(model, "bad-output.onnx");
        Assert.Equal($"{path}: output 'logits' is declared [batch, 12] but the graph computes [batch, 10]",
            Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(path)).Message);

        model = Exported();
        model.Graph.Node[1].OpType = "LayerNormalization";
        path = Write(model, "unknown-op.onnx");
        Assert.StartsWith($"{path}: node '{model.Graph.Node[1].Name}' (LayerNormalization): operator LayerNormalization is not one NetBlocks exports, so its shapes cannot be checked (known: Conv,",
            Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(path)).Message);

        model = Exported();
        var weight = model.Graph.Initializer[0];
        weight.RawData = ByteString.CopyFrom(weight.RawData.Span[..8]);
        path = Write(model, "short.onnx");
        Assert.Equal($"{path}: initializer '{weight.Name}' of dims [{string.Join(", ", weight.Dims)}] holds 2 values, not {weight.Dims.Aggregate(1L, (p, d) => p * d)}",
            Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(path)).Message);

        model = Exported();
        model.Graph.Node[0].Attribute.Single(a => a.Name == "group").I = 2;
        path = Write(model, "bad-group.onnx");
        Assert.Equal($"{path}: node '{model.Graph.Node[0].Name}' (Conv): input channels 1 do not match weight [32, 1, 3, 3] with group 2",
            Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(path)).Message);

        model = Exported();
        model.Graph.Initializer[0].Dims.Clear();
        model.Graph.Initializer[0].Dims.Add([1L << 40, 1L << 40]);
        path = Write(model, "overflow.onnx");
        Assert.Equal($"{path}: a dimension or element count does not fit in 64 bits", Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(path)).Message);

        model = Exported();
        model.OpsetImport.Clear();
        path = Write(model, "no-opset.onnx");
        Assert.Equal($"{path}: no ai.onnx opset is imported", Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(path)).Message);
    }
}

/// <summary>Each structural or shape error the checker reports, provoked by one change to a good exported graph.</summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class OnnxCheckerErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-onnx-errors-").FullName;
    private static readonly byte[] Good = OnnxExporter.ToBytes(OnnxRuntimeCheck.Model("regnet:d=2,w0=8,wa=8,wm=2,g=8,stem=8,se=0.25", [1, 16, 16]), [1, 16, 16]);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static NodeProto First(ModelProto m, string op) => m.Graph.Node.First(n => n.OpType == op);
    private static AttributeProto Attr(NodeProto n, string name) => n.Attribute.Single(a => a.Name == name);

    /// <summary>(name, change, expected message after "{path}: "), the message built from the changed model.</summary>
    public static TheoryData<string> Cases => new(Mutations.Keys);

    private static readonly Dictionary<string, Func<ModelProto, string>> Mutations = new()
    {
        ["ir"] = m => { m.IrVersion = 0; return "IR version 0 is missing or older than 3"; },
        ["no graph"] = m => { m.Graph = null; return "the model has no graph"; },
        ["no nodes"] = m => { m.Graph.Node.Clear(); return "the graph has no nodes"; },
        ["int initializer"] = m => { m.Graph.Initializer[0].DataType = (int)TensorProto.Types.DataType.Int64; return $"initializer '{m.Graph.Initializer[0].Name}' has element type int64, not float32"; },
        ["negative dim"] = m => { m.Graph.Initializer[0].Dims[0] = -1; return $"initializer '{m.Graph.Initializer[0].Name}' has a negative dimension"; },
        ["twice"] = m => { m.Graph.Initializer.Add(m.Graph.Initializer[0].Clone()); return $"initializer '{m.Graph.Initializer[0].Name}' is defined twice"; },
        ["no input"] = m => { m.Graph.Input.Clear(); return "the graph has no input that is not an initializer"; },
        ["input type"] = m => { m.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Double; return "input 'x' has element type double, not float32"; },
        ["input shape"] = m => { m.Graph.Input[0].Type.TensorType.Shape = null; return "input 'x' has no shape"; },
        ["empty dim"] = m => { m.Graph.Input[0].Type.TensorType.Shape.Dim[0].ClearDimParam(); return "input 'x' has a dimension with neither a size nor a name"; },
        ["no output"] = m => { m.Graph.Output.Clear(); return "the graph has no output"; },
        ["unproduced"] = m => { m.Graph.Output[0].Name = "probabilities"; return "output 'probabilities' is not produced by any node"; },
        ["rewritten"] = m => { var n = m.Graph.Node[1]; n.Output[0] = m.Graph.Node[0].Output[0]; return $"node '{n.Name}' ({n.OpType}) writes '{n.Output[0]}', which is already defined"; },
        ["bn stats"] = m => { var n = First(m, "BatchNormalization"); n.Input[3] = n.Input[0]; return $"node '{n.Name}' (BatchNormalization): input 3 is [batch, 8, 8, 8], expected [8]"; },
        ["kernel"] = m => { var n = First(m, "Conv"); Attr(n, "kernel_shape").Ints[0] = 5; return $"node '{n.Name}' (Conv): kernel_shape [5, 3] does not match weight [8, 1, 3, 3]"; },
        ["auto_pad"] = m => { var n = First(m, "Conv"); n.Attribute.Add(new AttributeProto { Name = "auto_pad", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("SAME_UPPER") }); return $"node '{n.Name}' (Conv): auto_pad is not supported by this checker; NetBlocks writes explicit pads"; },
        ["pads"] = m => { var n = First(m, "Conv"); Attr(n, "pads").Ints.RemoveAt(0); return $"node '{n.Name}' (Conv): pads, strides or dilations are malformed"; },
        ["dynamic"] = m => { m.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimParam = "height"; return $"node '{m.Graph.Node[0].Name}' (Conv): spatial dimension height is dynamic; NetBlocks exports fixed image sizes"; },
        ["collapse"] = m => { var n = First(m, "Conv"); Attr(n, "pads").Ints.Clear(); Attr(n, "pads").Ints.Add([0, 0, 0, 0]); Attr(n, "strides").Ints.Clear(); Attr(n, "strides").Ints.Add([1, 1]); Attr(n, "kernel_shape").Ints.Clear(); Attr(n, "kernel_shape").Ints.Add([3, 3]); m.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimValue = 2; return $"node '{n.Name}' (Conv): the output collapses for input [batch, 1, 2, 16]"; },
        ["flatten axis"] = m => { var n = First(m, "Flatten"); n.Attribute.Clear(); n.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 7 }); return $"node '{n.Name}' (Flatten): axis 7 is out of range for [batch, 16, 1, 1]"; },
        ["flatten dynamic"] = m => { var n = First(m, "Flatten"); n.Attribute.Clear(); n.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 2 }); return $"node '{n.Name}' (Flatten): cannot multiply the dynamic dimensions of [batch, 16]"; },
        ["gemm"] = m => { var n = First(m, "Gemm"); n.Attribute.Remove(Attr(n, "transB")); return $"node '{n.Name}' (Gemm): inner dimensions differ: A [batch, 16], B [10, 16]"; },
        ["gemm C"] = m => { var n = First(m, "Gemm"); n.Input[2] = m.Graph.Initializer.First(t => t.Dims.Count == 1 && t.Dims[0] == 8).Name; return $"node '{n.Name}' (Gemm): shapes [batch, 10] and [8] do not broadcast"; },
        ["mul"] = m => { var n = First(m, "Mul"); n.Input[1] = m.Graph.Input[0].Name; return $"node '{n.Name}' (Mul): shapes [batch, 8, 4, 4] and [batch, 1, 16, 16] do not broadcast"; },
        ["rank"] = m => { var n = First(m, "GlobalAveragePool"); n.Input[0] = First(m, "Gemm").Input[1]; return $"node '{n.Name}' (GlobalAveragePool): expected a rank-4 input, got [10, 16]"; },
        ["missing input"] = m => { var n = First(m, "Relu"); n.Input.Clear(); return $"node '{n.Name}' (Relu): input 0 is missing"; },
        ["no pool kernel"] = m => { var n = First(m, "Conv"); n.OpType = "MaxPool"; n.Attribute.Remove(Attr(n, "kernel_shape")); return $"node '{n.Name}' (MaxPool): kernel_shape is missing"; },
        ["no node output"] = m => { var n = m.Graph.Node[0]; n.Output.Clear(); return $"node '{n.Name}' (Conv) has no output"; },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachProblemIsNamed(string name)
    {
        var model = ModelProto.Parser.ParseFrom(Good);
        var expected = Mutations[name](model);
        var path = Path.Combine(_dir, "m.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        Assert.Equal($"{path}: {expected}", Assert.Throws<InvalidDataException>(() => OnnxChecker.Check(path)).Message);
    }
}
