using System.Numerics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetBlocks.Serialization;

/// <summary>
/// NetBlocks' one rule for numbers JSON cannot hold: NaN, +∞ and −∞ (a diverged loss, an overflowing metric, NaN
/// weights) are written as JSON <c>null</c>, and <c>null</c> is read back as NaN. Every `--json` output and every JSON
/// file or record NetBlocks writes goes through <see cref="Options"/>, <see cref="SnakeCase"/>, <see cref="With"/> or
/// <see cref="WriteNumberOrNull(Utf8JsonWriter, string, double?)"/>, so no output fails on a non-finite value and
/// every reader (jq, pandas, Python's json) gets standard JSON. Text outputs print such values as NetBlocks always
/// did (CSV: nan/inf/-inf; tables: "-" or the number's own text).
/// </summary>
public static class FiniteJson
{
    /// <summary>Property names as declared (anonymous objects, records with [JsonPropertyName]); non-ASCII kept readable.</summary>
    public static JsonSerializerOptions Options { get; } = With(new JsonSerializerOptions());

    /// <summary>Like <see cref="Options"/>, with snake_case property names (settings, sweep definitions).</summary>
    public static JsonSerializerOptions SnakeCase { get; } = With(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });

    /// <summary>A copy of <paramref name="options"/> that follows the rule (for callers with options of their own).</summary>
    public static JsonSerializerOptions With(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = new JsonSerializerOptions(options);
        copy.Encoder ??= JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        copy.Converters.Insert(0, new NullForNonFinite<double>((ref Utf8JsonReader r) => r.GetDouble(), (w, v) => w.WriteNumberValue(v)));
        copy.Converters.Insert(0, new NullForNonFinite<float>((ref Utf8JsonReader r) => r.GetSingle(), (w, v) => w.WriteNumberValue(v)));
        copy.TypeInfoResolver ??= new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver();
        copy.MakeReadOnly();
        return copy;
    }

    /// <summary>One line of JSON for <paramref name="value"/>, under the rule.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Writes <c>"name": value</c>, or <c>"name": null</c> when the value is missing, NaN or infinite.</summary>
    public static void WriteNumberOrNull(this Utf8JsonWriter writer, string name, double? value)
    {
        writer.WritePropertyName(name);
        writer.WriteNumberOrNullValue(value);
    }

    /// <summary>Writes the value, or <c>null</c> when it is missing, NaN or infinite (for arrays).</summary>
    public static void WriteNumberOrNullValue(this Utf8JsonWriter writer, double? value)
    {
        if (value is { } v && double.IsFinite(v)) writer.WriteNumberValue(v);
        else writer.WriteNullValue();
    }

    private delegate T ReadNumber<T>(ref Utf8JsonReader reader);

    /// <summary>Writes a finite value as a number, anything else as null; reads null as NaN.</summary>
    private sealed class NullForNonFinite<T>(ReadNumber<T> read, Action<Utf8JsonWriter, T> write) : JsonConverter<T>
        where T : IFloatingPointIeee754<T>
    {
        public override bool HandleNull => true;

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? T.NaN : read(ref reader);

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            if (T.IsFinite(value)) write(writer, value);
            else writer.WriteNullValue();
        }
    }
}
