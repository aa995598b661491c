using NetBlocks.Nn;
using NetBlocks.Onnx;
using NetBlocks.Onnx.Protobuf;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Onnx;

/// <summary>Every family exported and run in ONNX Runtime against NetBlocks' eval forward; the graph's operators; refusals.</summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class OnnxExportTests
{
    private const double Tolerance = 1e-4;

    /// <summary>Small members of every family (spec, input C,H,W, the operators the graph must consist of).</summary>
    public static TheoryData<string, string, string> Families => new()
    {
        { "vgg11/4:fc=64", "1,32,32", "Conv MaxPool Relu Flatten Gemm" },
        { "vgg11-bn:div=8,fc=32", "1,32,32", "Conv BatchNormalization Relu MaxPool Flatten Gemm" },
        { "nin:div=4", "1,67,67", "Conv Relu MaxPool GlobalAveragePool Flatten" },
        { "nin:head=fc,div=4", "1,67,67", "Conv Relu MaxPool Flatten Gemm" },
        { "nin-deep11/4", "1,32,32", "Conv Relu MaxPool GlobalAveragePool Flatten" },
        { "alexnet:fc=64", "1,67,67", "Conv Relu MaxPool Flatten Gemm" },
        { "regnetx32", "1,28,28", "Conv BatchNormalization Relu Add GlobalAveragePool Flatten Gemm" },
        { "regnetx32-resnet", "1,28,28", "Conv BatchNormalization Relu Add GlobalAveragePool Flatten Gemm" },
        { "anynet:stem=8,1x16g8b1,2x32g8b0.5", "1,28,28", "Conv BatchNormalization Relu Add GlobalAveragePool Flatten Gemm" },
        { "regnet:d=3,w0=8,wa=8,wm=2,g=8,stem=8", "1,32,32", "Conv BatchNormalization Relu Add GlobalAveragePool Flatten Gemm" },
        { "regnet:d=3,w0=8,wa=8,wm=2,g=8,stem=8,se=0.25", "1,32,32", "Conv BatchNormalization Relu GlobalAveragePool Sigmoid Mul Add Flatten Gemm" },
        { "regnet:d=2,w0=8,wa=8,wm=2,g=8,stem=8,block=resnet", "1,32,32", "Conv BatchNormalization Relu Add GlobalAveragePool Flatten Gemm" },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void EveryFamilyRunsInOnnxRuntimeWithNetBlocksLogits(string spec, string input, string operators)
    {
        var chw = input.Split(',').Select(int.Parse).ToArray();
        var model = OnnxRuntimeCheck.Model(spec, chw);
        var bytes = OnnxExporter.ToBytes(model, chw);
        var graph = ModelProto.Parser.ParseFrom(bytes).Graph;
        Assert.Equal(operators.Split(' ').Order(), graph.Node.Select(n => n.OpType).Distinct().Order());
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Dropout");
        foreach (int batch in new[] { 1, 7 })
        {
            double diff = OnnxRuntimeCheck.MaxDifference(bytes, model, chw, batch);
            Assert.True(diff <= Tolerance, $"{spec} at batch {batch}: logits differ by {diff:E2}");
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(17)]
    [InlineData(21)]
    [InlineData(23)]
    [InlineData(24)]
    [InlineData(25)]
    [InlineData(26)]
    public void EveryAcceptedOpsetRunsInOnnxRuntime(int opset)
    {
        // RegNetY has every operator but AveragePool and MaxPool; the pooling net below has those.
        foreach (var (model, chw) in new[] { (OnnxRuntimeCheck.Model("regnet:d=2,w0=8,wa=8,wm=2,g=8,stem=8,se=0.25", [1, 16, 16]), new[] { 1, 16, 16 }), (PoolingNet(), [2, 12, 12]) })
        {
            var bytes = OnnxExporter.ToBytes(model, chw, new OnnxExportOptions { Opset = opset });
            var proto = ModelProto.Parser.ParseFrom(bytes);
            Assert.Equal(opset, proto.OpsetImport.Single().Version);
            Assert.Equal(OnnxOpsets.IrVersion(opset), proto.IrVersion);
            double diff = OnnxRuntimeCheck.MaxDifference(bytes, model, chw, 3);
            Assert.True(diff <= Tolerance, $"opset {opset}: logits differ by {diff:E2}");
        }
    }

    /// <summary>Max and padded average pooling (the padding counts in the divisor), uneven-free adaptive pooling, a Linear without bias.</summary>
    private static Module PoolingNet()
    {
        RandomGenerator.ManualSeed(9);
        var net = new Sequential(new Conv2d(2, 4, 3, padding: 1), new MaxPool2d(3, 2, 1), new AvgPool2d(3, 1, 1), new AdaptiveAvgPool2d(2, 3),
            new Flatten(), new Linear(24, 5, bias: false), new Identity());
        net.Build(1, 2, 12, 12);
        return net.Eval();
    }

    [Fact]
    public void PoolingNetUsesAveragePoolWithPaddingInTheDivisor()
    {
        var graph = ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(PoolingNet(), [2, 12, 12], new OnnxExportOptions { Opset = 9 })).Graph;
        Assert.Equal(["Conv", "MaxPool", "AveragePool", "AveragePool", "Flatten", "Gemm"], graph.Node.Select(n => n.OpType));
        Assert.Equal(1, graph.Node[2].Attribute.Single(a => a.Name == "count_include_pad").I);
        Assert.Equal([3, 2], graph.Node[3].Attribute.Single(a => a.Name == "kernel_shape").Ints);
        Assert.Equal(3, graph.Node[5].Input.Count); // Gemm before opset 11 needs C: a zero bias
        var graph17 = ModelProto.Parser.ParseFrom(OnnxExporter.ToBytes(PoolingNet(), [2, 12, 12])).Graph;
        Assert.Equal(2, graph17.Node[5].Input.Count);
    }

    [Fact]
    public void TheGraphHasNamedInputAndOutputADynamicBatchAndTheMetadata()
    {
        var model = OnnxRuntimeCheck.Model("regnetx32", [1, 28, 28]);
        var bytes = OnnxExporter.ToBytes(model, [1, 28, 28], new OnnxExportOptions { Metadata = new Dictionary<string, string> { ["netblocks.model"] = "regnetx32" } });
        var proto = ModelProto.Parser.ParseFrom(bytes);
        var input = proto.Graph.Input.Single();
        Assert.Equal("x", input.Name);
        Assert.Equal(["batch", "1", "28", "28"], input.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()));
        var output = proto.Graph.Output.Single();
        Assert.Equal("logits", output.Name);
        Assert.Equal(["batch", "10"], output.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()));
        Assert.Equal("regnetx32", proto.MetadataProps.Single(p => p.Key == "netblocks.model").Value);
        Assert.Equal("NetBlocks", proto.ProducerName);
        Assert.Equal(17, proto.OpsetImport.Single().Version);
        Assert.Equal(8, proto.IrVersion);
        // Parameters keep their state-dict names and values.
        var state = model.StateDict().Where(kv => !kv.Key.EndsWith("num_batches_tracked")).ToList();
        Assert.Equal(state.Select(kv => kv.Key).Order(), proto.Graph.Initializer.Select(t => t.Name).Order());
        var (key, value) = state[^1];
        var stored = proto.Graph.Initializer.Single(t => t.Name == key).RawData.ToByteArray();
        Assert.Equal(value.ToArray(), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(stored).ToArray());
    }

    [Fact]
    public void ExportLeavesTheModuleAsItWas()
    {
        var model = OnnxRuntimeCheck.Model("regnetx32", [1, 28, 28]);
        model.Train();
        var before = model.StateDict().Select(kv => kv.Value.ToArray()).ToList();
        OnnxExporter.ToBytes(model, [1, 28, 28]);
        Assert.True(model.Training);
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.Training, m.Name));
        Assert.Equal(before, model.StateDict().Select(kv => kv.Value.ToArray()).ToList());
        model.Eval();
        OnnxExporter.ToBytes(model, [1, 28, 28]);
        Assert.False(model.Training);
    }

    private sealed class Doubler : Module
    {
        protected override Tensor ForwardImpl(Tensor x) => NetBlocks.Functional.F.Add(x, x);
    }

    [Fact]
    public void AModuleWithoutAnOnnxFormIsRefusedByName()
    {
        var net = new Sequential(new Conv2d(1, 2, 3), new Sequential(new ReLU(), new Doubler()));
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToBytes(net, [1, 8, 8]));
        Assert.StartsWith("cannot export 1.1 (Doubler) to ONNX: Doubler has no ONNX translation (exportable: Sequential, Conv2d,", e.Message);
    }

    [Fact]
    public void UnevenAdaptivePoolingAndPartialFlattenAreRefusedByName()
    {
        var pool = new Sequential(new AdaptiveAvgPool2d(2));
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToBytes(pool, [1, 5, 5]));
        Assert.Equal("cannot export 0 (AdaptiveAvgPool2d) to ONNX: adaptive pooling of 5×5 to 2×2 has uneven windows, which no ONNX pooling operator expresses; export at an input whose size is a multiple of the output size", e.Message);
        var flatten = new Sequential(new Flatten(2));
        e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToBytes(flatten, [1, 5, 5]));
        Assert.Equal("cannot export 0 (Flatten) to ONNX: only Flatten(start_dim=1, end_dim=-1) has an ONNX Flatten; this one merges dimensions 2..3 of (1, 1, 5, 5)", e.Message);
    }

    [Fact]
    public void BadInputsAreRefusedWithClearMessages()
    {
        var lazy = NetBlocks.Models.ModelZoo.Create("regnetx32");
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.ToBytes(lazy, [1, 28, 28]));
        Assert.Equal($"cannot export {lazy.Describe()} to ONNX: it has lazy layers that are not materialised; call Build(input shape) and load or train its weights first", e.Message);
        var model = OnnxRuntimeCheck.Model("regnetx32", [1, 28, 28]);
        Assert.Equal("the input must be (C, H, W) with positive sizes, got (1, 28)",
            Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(model, [1, 28])).Message);
        Assert.Equal("--opset 6 is not supported: NetBlocks exports ONNX opsets 7 to 26 (default 17)",
            Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(model, [1, 28, 28], new OnnxExportOptions { Opset = 6 })).Message);
        Assert.Equal("--opset 27 is not supported: NetBlocks exports ONNX opsets 7 to 26 (default 17)",
            Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(model, [1, 28, 28], new OnnxExportOptions { Opset = 27 })).Message);
        Assert.Equal("the ONNX input and output names must differ, both are 'x'",
            Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(model, [1, 28, 28], new OnnxExportOptions { OutputName = "x" })).Message);
        Assert.Equal("the ONNX batch dimension name must not be empty",
            Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(model, [1, 28, 28], new OnnxExportOptions { BatchDimension = " " })).Message);
        var shape = Assert.Throws<ShapeException>(() => OnnxExporter.ToBytes(model, [3, 28, 28]));
        Assert.Contains("0.0 (Conv2d)", shape.Message);
    }
}
