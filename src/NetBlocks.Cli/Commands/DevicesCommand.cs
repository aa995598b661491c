using System.CommandLine;
using NetBlocks.Cuda;

namespace NetBlocks.Cli.Commands;

/// <summary>`netblocks devices`: the CUDA devices ILGPU finds (name, memory, compute capability, SMs, driver), or why there is none.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the CUDA devices --device can use (name, memory, compute capability, driver), or say why there is none");
        command.SetAction(parse => CliGuard.Run(() =>
        {
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine("cpu  always available");
            output.WriteLine(CudaDevices.Query().Describe());
            return 0;
        }));
        return command;
    }
}
