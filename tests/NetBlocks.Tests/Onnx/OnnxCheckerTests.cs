using Google.Protobuf;
using NetBlocks.Onnx;
using NetBlocks.Onnx.Protobuf;

namespace NetBlocks.Tests.Onnx;

/// <summary>OnnxChecker: the report of a good file, and one clear error naming the file for each kind of broken one.</summary>
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
