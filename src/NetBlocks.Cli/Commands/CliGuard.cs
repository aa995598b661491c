namespace NetBlocks.Cli.Commands;

/// <summary>Runs a command body; user-facing failures become one clear line on stderr and exit code 1, not a stack trace.</summary>
internal static class CliGuard
{
    /// <param name="error">Where the message goes (default: the console's error stream).</param>
    public static int Run(Func<int> body, TextWriter? error = null)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or IOException
                                      or FormatException or KeyNotFoundException or UnauthorizedAccessException or NotSupportedException)
        {
            (error ?? Console.Error).WriteLine($"error: {UserMessages.Of(e)}");
            return 1;
        }
        catch (InsufficientMemoryException e)
        {
            (error ?? Console.Error).WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OutOfMemoryException)
        {
            (error ?? Console.Error).WriteLine("error: out of memory. Make the job smaller: a smaller --batch or --resize (or input), or fewer images; " +
                                    "`netblocks summary MODEL --input C,H,W --batch N` estimates what a model needs");
            return 1;
        }
    }
}
