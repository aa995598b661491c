namespace NetBlocks.Cli.Commands;

/// <summary>Range checks for whole-number options that no library type validates (eval's --batch, predict's --top…).</summary>
internal static class OptionRange
{
    /// <summary>The value, or an error naming the option, the value and the smallest valid one.</summary>
    public static int AtLeast(int value, int min, string option, string? note = null) =>
        value >= min ? value : throw new ArgumentException($"{option} must be a whole number ≥ {min}{(note is null ? "" : $" ({note})")}, got {value}");
}
