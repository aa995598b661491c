using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace NetBlocks.Cli.Commands;

/// <summary>
/// The one place where what .NET and System.CommandLine say becomes what a user reads: the option or argument, the
/// value and what is valid, without .NET type names ('System.Int32'), parameter names ("(Parameter 'inputNchw')")
/// or framework wording.
/// </summary>
internal static partial class UserMessages
{
    /// <summary>A parse error, e.g. "--epochs x: not a whole number (e.g. --epochs 10)" for "Cannot parse argument 'x' for option '--epochs' as expected type 'System.Int32'".</summary>
    public static string Of(ParseError error)
    {
        var conversion = CannotParse().Match(error.Message);
        if (!conversion.Success) return error.Message.TrimEnd('.');
        var symbol = error.SymbolResult switch
        {
            OptionResult o => o.Option.Name,
            ArgumentResult { Parent: OptionResult o } => o.Option.Name,
            ArgumentResult a => $"<{a.Argument.Name}>",
            _ => conversion.Groups["name"].Value,
        };
        return $"{symbol} {conversion.Groups["value"].Value}: {Expected(conversion.Groups["type"].Value)}";
    }

    /// <summary>An exception's message for the user: no "(Parameter 'x')" suffix, no "Access to the path … is denied".</summary>
    public static string Of(Exception e)
    {
        var message = e.Message;
        if (e is ArgumentException { ParamName: { } name }) message = message.Replace($" (Parameter '{name}')", "");
        var denied = AccessDenied().Match(message);
        if (denied.Success)
        {
            var path = denied.Groups["path"].Value;
            message = Directory.Exists(path)
                ? $"{path}: access denied; it is a folder: a file was expected there, or its permissions do not let NetBlocks read or write it"
                : $"{path}: permission denied (check the file's and its folder's permissions)";
        }
        return message;
    }

    /// <summary>What a value of the .NET type must look like, in words.</summary>
    private static string Expected(string type)
    {
        var nullable = NullableOf().Match(type);
        if (nullable.Success) type = nullable.Groups["inner"].Value;
        return type switch
        {
            "System.Int32" => "not a whole number (at most 2147483647)",
            "System.Int64" => "not a whole number",
            "System.UInt64" or "System.UInt32" => "not a whole number ≥ 0",
            "System.Single" or "System.Double" => "not a number (e.g. 0.05 or 1e-3)",
            "System.Boolean" => "not true or false",
            _ => "not a valid value (see --help)",
        };
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<inner>[^\]]+)\]$")]
    private static partial Regex NullableOf();

    [GeneratedRegex(@"Access to the path '(?<path>.*)' is denied\.?", RegexOptions.Singleline)]
    private static partial Regex AccessDenied();

    /// <summary>`netblocks sweep run`: the command's path, for "see `netblocks sweep run --help`".</summary>
    public static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is CommandResult c; r = c.Parent) names.Add(c.Command.Name);
        names.Reverse();
        if (names.Count > 0) names[0] = "netblocks";
        return string.Join(' ', names);
    }
}
