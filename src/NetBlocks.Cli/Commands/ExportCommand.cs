using System.CommandLine;
using System.Globalization;
using NetBlocks.Onnx;

namespace NetBlocks.Cli.Commands;

/// <summary>
/// `netblocks export CHECKPOINT --onnx OUT.onnx [--opset N] [--input C,H,W] [--check]`: the trained model as ONNX;
/// `netblocks export --check FILE.onnx` validates an existing file.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("checkpoint") { Description = "a checkpoint or model.safetensors written by `netblocks train` (with --check alone: the .onnx file to check)" };
        var onnx = new Option<string?>("--onnx") { Description = "write the model as ONNX to this file" };
        var opset = new Option<int>("--opset") { Description = $"ONNX opset, {OnnxOpsets.Minimum} to {OnnxOpsets.Maximum}", DefaultValueFactory = _ => OnnxOpsets.Default };
        var input = new Option<string?>("--input") { Description = "input C,H,W the graph takes (default: 1 channel at the training resolution)" };
        var (model, resize) = EvalCommand.ModelOptions();
        var check = new Option<bool>("--check") { Description = "load the ONNX file back, validate the graph (shapes inferred, every input and initializer present) and report it" };
        var command = new Command("export", "Export a trained model to ONNX (eval mode, dynamic batch, training metadata), or check an ONNX file")
        {
            file, onnx, opset, input, model, resize, check,
        };
        command.SetAction(parse => CliGuard.Run(() =>
        {
            var output = parse.InvocationConfiguration.Output;
            var target = parse.GetValue(onnx);
            if (target is null)
            {
                if (!parse.GetValue(check))
                    throw new ArgumentException("export needs --onnx OUT.onnx (or --check FILE.onnx to check an existing ONNX file)");
                Print(output, OnnxChecker.Check(parse.GetValue(file)!));
                return 0;
            }
            var chw = parse.GetValue(input) is { } text ? SummaryCommand.ParseInput(text) : null;
            var shape = CheckpointExport.Run(parse.GetValue(file)!, target, parse.GetValue(opset), chw, parse.GetValue(model), parse.GetValue(resize));
            output.WriteLine($"wrote {target}: opset {parse.GetValue(opset)}, input {string.Join("×", shape)}, {new FileInfo(target).Length:N0} bytes");
            if (parse.GetValue(check)) Print(output, OnnxChecker.Check(target));
            return 0;
        }));
        return command;
    }

    private static void Print(TextWriter output, OnnxModelReport r)
    {
        output.WriteLine($"{r.Path}: valid ONNX (IR {r.IrVersion}, opset {r.Opset}, producer {r.Producer})");
        foreach (var i in r.Inputs) output.WriteLine($"  input   {i}");
        foreach (var o in r.Outputs) output.WriteLine($"  output  {o}");
        output.WriteLine($"  nodes   {r.NodeCount}: {string.Join(", ", r.Operators.Select(o => $"{o.Operator} ×{o.Count}"))}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  parameters {r.ParameterCount:N0} in {r.InitializerCount} initializers"));
        foreach (var (key, value) in r.Metadata) output.WriteLine($"  {key} = {value}");
    }
}
