using System.CommandLine;
using System.CommandLine.Invocation;
using NetBlocks.Cli.Commands;

namespace NetBlocks.Cli;

/// <summary>The `netblocks` command line as a library call, so tests run commands in-process.</summary>
public static class App
{
    private static readonly object ConsoleGate = new();

    /// <summary>The root command with every registered subcommand.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("NetBlocks: modern convolutional networks, built from blocks (VGG, NiN, ResNeXt-style AnyNet, RegNet) in C#.");
        foreach (var command in CommandRegistry.All()) root.Add(command);
        return root;
    }

    /// <summary>
    /// Runs `netblocks <paramref name="args"/>` and returns its exit code. Output goes to <paramref name="output"/> and
    /// <paramref name="error"/> (default: the console); commands that write to Console directly are redirected there too,
    /// one run at a time.
    /// </summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var config = new InvocationConfiguration { Output = output, Error = error };
        lock (ConsoleGate)
        {
            var (previousOut, previousError) = (Console.Out, Console.Error);
            Console.SetOut(output);
            Console.SetError(error);
            try
            {
                var parse = CreateRoot().Parse(args);
                if (parse.Action is ParseErrorAction) return ReportParseErrors(parse, error);
                return parse.Invoke(config);
            }
            finally
            {
                output.Flush();
                error.Flush();
                Console.SetOut(previousOut);
                Console.SetError(previousError);
            }
        }
    }

    /// <summary>One line per parse error, naming the option, the value and what is valid, then where the options are listed.</summary>
    private static int ReportParseErrors(ParseResult parse, TextWriter error)
    {
        foreach (var e in parse.Errors) error.WriteLine($"error: {UserMessages.Of(e)}");
        error.WriteLine($"(`{UserMessages.CommandPath(parse)} --help` lists the options)");
        return 1;
    }
}
