using System.Globalization;
using NetBlocks.Nn;

namespace NetBlocks.Models;

/// <summary>What every model needs from its user: input channels and class count (Fashion-MNIST by default).</summary>
public sealed record ModelOptions(int InputChannels = 1, int Classes = 10);

/// <summary>How a model's weights are initialised once it is materialised.</summary>
public enum ModelInit
{
    /// <summary>d2l's <c>init_cnn</c>: Xavier-uniform weights for every Conv2d and Linear; biases keep PyTorch's default.</summary>
    D2l,
    /// <summary>pycls/torchvision RegNet: conv N(0, √(2/fan_out)), batch norm γ = 1, β = 0, linear N(0, 0.01) with zero bias.</summary>
    Pycls,
    /// <summary>PyTorch's default (what the layers get when they are materialised): nothing more is done.</summary>
    PyTorchDefault,
}

/// <summary>A model family's typed description: one builder turns it into an unmaterialised (lazy) module.</summary>
public interface IModelSpec
{
    /// <summary>vgg, nin, alexnet, anynet, regnet or mlp.</summary>
    string Family { get; }

    /// <summary>The weight initialisation applied after materialisation.</summary>
    ModelInit Init { get; }

    /// <summary>The network, not yet materialised: <c>Build(N, C, H, W)</c> sizes it.</summary>
    Module Build(ModelOptions options);

    /// <summary>The canonical spec string that recreates this description (e.g. <c>vgg:1x16,1x32,2x64,2x128,2x128</c>).</summary>
    string ToSpec();
}

/// <summary>A spec that does not parse: the message shows the spec, a caret under the offending character and the family's grammar.</summary>
public sealed class ModelSpecException : FormatException
{
    public string Spec { get; }
    public int Position { get; }
    public string Reason { get; }
    public string Grammar { get; }

    public ModelSpecException(string spec, int position, string reason, string grammar)
        : base(Compose(spec, position, reason, grammar))
    {
        Spec = spec; Position = position; Reason = reason; Grammar = grammar;
    }

    private static string Compose(string spec, int position, string reason, string grammar) =>
        $"malformed model spec: {reason}\n  {spec}\n  {new string(' ', Math.Clamp(position, 0, spec.Length))}^\n{grammar}";
}

/// <summary>A name that is neither a preset nor a family: suggests the closest name by edit distance.</summary>
public sealed class UnknownModelException : ArgumentException
{
    public string Name { get; }
    public string? Suggestion { get; }

    public UnknownModelException(string name, string? suggestion)
        : base($"unknown model '{name}'" + (suggestion is null ? "" : $"; did you mean '{suggestion}'?") +
               " (`netblocks models` lists the presets; a spec starts with a family: vgg:, vgg-bn:, nin:, alexnet:, anynet:, regnet:, mlp:)")
    {
        Name = name; Suggestion = suggestion;
    }
}

/// <summary>One comma- or semicolon-separated item of a spec, with its position in the whole spec (for carets).</summary>
internal readonly record struct SpecItem(string Text, int Position)
{
    private int Eq => Text.IndexOf('=');
    public bool IsOption => Eq >= 0;
    public string Key => IsOption ? Text[..Eq].Trim() : Text;
    public string Value => IsOption ? Text[(Eq + 1)..].Trim() : "";

    /// <summary>Where the value starts in the whole spec (the item's start for a non-option item).</summary>
    public int ValuePosition
    {
        get
        {
            if (!IsOption) return Position;
            var after = Text[(Eq + 1)..];
            return Position + Eq + 1 + (after.Length - after.TrimStart().Length);
        }
    }
}

/// <summary>
/// Splits and reads a spec <c>head[:item,item;…]</c>; every error points at the character it concerns.
/// Numbers are invariant-culture (a dot for decimals).
/// </summary>
internal sealed class SpecReader(string spec, string grammar)
{
    public string Spec { get; } = spec;
    public string Grammar { get; set; } = grammar;

    public ModelSpecException Error(int position, string reason) => new(Spec, position, reason, Grammar);

    /// <summary>Items after the first ':' (empty ones rejected), each with its position.</summary>
    public static List<SpecItem> Items(string spec, int start)
    {
        var items = new List<SpecItem>();
        if (start >= spec.Length) return items;
        int i = start;
        while (i <= spec.Length)
        {
            int end = spec.IndexOfAny([',', ';'], i);
            if (end < 0) end = spec.Length;
            var raw = spec[i..end];
            int lead = raw.Length - raw.TrimStart().Length;
            items.Add(new SpecItem(raw.Trim(), i + lead));
            if (end == spec.Length) break;
            i = end + 1;
        }
        return items;
    }

    public int Int(string text, int position, string what, int min = 1, int max = int.MaxValue)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v))
            throw Error(position + FirstBad(text, c => char.IsAsciiDigit(c)), $"{what} must be a whole number, got '{text}'");
        if (v < min || v > max)
            throw Error(position, max == int.MaxValue ? $"{what} must be at least {min}, got {v}" : $"{what} must be between {min} and {max}, got {v}");
        return v;
    }

    public double Double(string text, int position, string what, double min, double max, bool minExclusive = false)
    {
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw Error(position + FirstBad(text, c => char.IsAsciiDigit(c) || c == '.'), $"{what} must be a number like 0.5, got '{text}'");
        if (v < min || v > max || (minExclusive && v == min))
            throw Error(position, $"{what} must be {(minExclusive ? "above" : "at least")} {Fmt(min)}{(double.IsPositiveInfinity(max) ? "" : $" and at most {Fmt(max)}")}, got {text}");
        return v;
    }

    /// <summary>Index of the first character that cannot belong to the number (0 when the text is empty or all valid).</summary>
    private static int FirstBad(string text, Func<char, bool> ok)
    {
        for (int i = 0; i < text.Length; i++) if (!ok(text[i])) return i;
        return 0;
    }

    public bool Bool(string text, int position, string what) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw Error(position, $"{what} must be true or false, got '{text}'"),
    };

    public T Choice<T>(string text, int position, string what, params (string Name, T Value)[] choices)
    {
        foreach (var (name, value) in choices)
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase)) return value;
        throw Error(position, $"{what} must be one of {string.Join(", ", choices.Select(c => c.Name))}, got '{text}'");
    }

    /// <summary>Reads init=d2l|pycls|default, common to every family.</summary>
    public ModelInit Init(SpecItem item) => Choice(item.Value, item.ValuePosition, "init",
        ("d2l", ModelInit.D2l), ("pycls", ModelInit.Pycls), ("default", ModelInit.PyTorchDefault));

    public ModelSpecException UnknownOption(SpecItem item, string family, params string[] known) =>
        Error(item.Position, item.IsOption
            ? $"unknown option '{item.Key}' for {family} (known: {string.Join(", ", known)})"
            : $"'{item.Text}' is not an item of {family}");

    public static string Fmt(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    public static string InitName(ModelInit init) => init switch
    {
        ModelInit.D2l => "d2l",
        ModelInit.Pycls => "pycls",
        _ => "default",
    };
}
