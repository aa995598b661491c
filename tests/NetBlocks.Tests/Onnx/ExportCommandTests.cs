using NetBlocks.Models;
using NetBlocks.Onnx;
using NetBlocks.Onnx.Protobuf;
using NetBlocks.Serialization;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;
using NetBlocks.Tests.Cli;
using NetBlocks.Training;
using NetBlocks.Workflows;

namespace NetBlocks.Tests.Onnx;

/// <summary>`netblocks export`: a trained model's file to ONNX (run in ONNX Runtime), `--check`, and every bad input.</summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class ExportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-cli-export-").FullName;
    private readonly string _weights;

    public ExportCommandTests()
    {
        // What `netblocks train` leaves as model.safetensors: the weights and the settings to rebuild the model.
        var model = OnnxRuntimeCheck.Model("regnetx32", [1, 28, 28]);
        _weights = Path.Combine(_dir, "model.safetensors");
        Checkpoint.Save(model, _weights, InferenceModel.Metadata(new TrainingSettings { Model = "regnetx32", Resize = 28 }));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ExportsTheTrainedModelWithItsMetadataAndChecksIt()
    {
        var onnx = Path.Combine(_dir, "regnetx32.onnx");
        var (code, stdout, stderr) = CliRunner.Run("export", _weights, "--onnx", onnx, "--check");
        Assert.True(code == 0, stderr);
        Assert.StartsWith($"wrote {onnx}: opset 17, input 1×28×28, ", stdout);
        Assert.Contains($"{onnx}: valid ONNX (IR 8, opset 17, producer NetBlocks ", stdout);
        Assert.Contains("  input   x float32 [batch, 1, 28, 28]\n", stdout);
        Assert.Contains("  output  logits float32 [batch, 10]\n", stdout);
        Assert.Contains("  nodes   ", stdout);
        Assert.Contains("  netblocks.normalization = x = pixel / 255 (torchvision ToTensor; no mean/std normalisation); 8-bit grayscale images resized to 28x28 with Pillow's bilinear filter\n", stdout);

        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var meta = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("regnetx32", meta["netblocks.model"]);
        Assert.Equal(ModelZoo.Parse("regnetx32").ToSpec(), meta["netblocks.spec"]);
        Assert.Equal("[\"t-shirt\",\"trouser\",\"pullover\",\"dress\",\"coat\",\"sandal\",\"shirt\",\"sneaker\",\"bag\",\"ankle boot\"]", meta["netblocks.classes"]);
        Assert.Equal("1,28,28", meta["netblocks.input"]);

        // The file computes what `netblocks eval` would: the loaded checkpoint's eval forward.
        var loaded = InferenceModel.Load(_weights);
        Assert.True(OnnxRuntimeCheck.MaxDifference(File.ReadAllBytes(onnx), loaded.Model, [1, 28, 28], 7) <= 1e-4);

        var (cc, cout, cerr) = CliRunner.Run("export", onnx, "--check");
        Assert.True(cc == 0, cerr);
        Assert.StartsWith($"{onnx}: valid ONNX (IR 8, opset 17, producer NetBlocks ", cout);
        Assert.Contains($"  parameters {OnnxChecker.Check(onnx).ParameterCount:N0} in {proto.Graph.Initializer.Count} initializers\n", cout);
    }

    [Fact]
    public void OpsetAndInputSizeAreHonoured()
    {
        var onnx = Path.Combine(_dir, "r.onnx");
        var (code, stdout, stderr) = CliRunner.Run("export", _weights, "--onnx", onnx, "--opset", "13", "--input", "1,40,40");
        Assert.True(code == 0, stderr);
        Assert.StartsWith($"wrote {onnx}: opset 13, input 1×40×40, ", stdout);
        var r = OnnxChecker.Check(onnx);
        Assert.Equal(13, r.Opset);
        Assert.Equal("x float32 [batch, 1, 40, 40]", r.Inputs.Single().ToString());
    }

    [Fact]
    public void BadInputsGiveOneClearLineAndLeaveNoFile()
    {
        var onnx = Path.Combine(_dir, "out.onnx");
        void Fails(string message, params string[] args)
        {
            var (code, stdout, stderr) = CliRunner.Run(["export", .. args]);
            Assert.True(code == 1, $"{string.Join(" ", args)}: {stdout}");
            Assert.StartsWith($"error: {message}", stderr);
            Assert.Equal(1, stderr.Count(c => c == '\n')); // one line, no stack trace
            Assert.Equal("", stdout);
            Assert.False(File.Exists(onnx));
            Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        }
        Fails("export needs --onnx OUT.onnx (or --check FILE.onnx to check an existing ONNX file)", _weights);
        Fails("--opset 5 is not supported: NetBlocks exports ONNX opsets 7 to 26 (default 17)", _weights, "--onnx", onnx, "--opset", "5");
        Fails("--input expects C,H,W: three positive integers separated by commas (channels, height, width), e.g. 1,224,224; got '28,28'", _weights, "--onnx", onnx, "--input", "28,28");
        Fails($"--input 3,28,28: regnetx32 from '{_weights}' takes 1-channel (grayscale) images, so C must be 1", _weights, "--onnx", onnx, "--input", "3,28,28");
        Fails($"--onnx {_weights} is the checkpoint itself; choose another file name", _weights, "--onnx", _weights);
        var nowhere = Path.Combine(_dir, "no-such-folder", "m.onnx");
        Fails($"cannot write '{nowhere}': the folder '{Path.GetDirectoryName(nowhere)}' does not exist", _weights, "--onnx", nowhere);
        Fails($"{_weights}: not an ONNX model (the protobuf does not parse: ", _weights, "--check");
    }
}
