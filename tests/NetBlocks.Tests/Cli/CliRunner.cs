using NetBlocks.Cli;

namespace NetBlocks.Tests.Cli;

/// <summary>Runs `netblocks …` in-process through <see cref="App.Run"/> and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int code = App.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
