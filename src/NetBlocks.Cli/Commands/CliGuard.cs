namespace NetBlocks.Cli.Commands;

/// <summary>Runs a command body; user-facing failures become one clear line on stderr and exit code 1, not a stack trace.</summary>
internal static class CliGuard
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or IOException
                                      or FormatException or KeyNotFoundException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
