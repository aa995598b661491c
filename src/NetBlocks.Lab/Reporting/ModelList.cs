using System.Text.Json;
using NetBlocks.Analysis;
using NetBlocks.Models;

namespace NetBlocks.Reporting;

/// <summary>The preset list of `netblocks models`: one row per preset with its size and cost at its default input.</summary>
public static class ModelList
{
    /// <summary>name, family, input C×H×W, parameters, MACs (batch 1), description.</summary>
    public static string Table(IReadOnlyList<(ModelPreset Preset, ModelAnalysis Analysis)> rows)
    {
        var table = new TextTable("name", "family", "input", "params", "MACs", "description").AlignRight(3, 4);
        foreach (var (p, a) in rows)
            table.AddRow(p.Name, p.Family, AnalysisReport.Dims(p.DefaultInput), AnalysisReport.Count(a.Params), AnalysisReport.Si(a.Macs), p.Description);
        return table + $"\n{rows.Count} presets; parameters for {rows.FirstOrDefault().Analysis?.Output[^1]} classes, MACs for one image at the preset's input. " +
               "`netblocks summary NAME` shows the layers.\n";
    }

    /// <summary>{"presets": [{name, family, description, default_input, learning_rate, params, macs, flops}]}.</summary>
    public static string Json(IReadOnlyList<(ModelPreset Preset, ModelAnalysis Analysis)> rows)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteStartArray("presets");
            foreach (var (p, a) in rows)
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                w.WriteString("family", p.Family);
                w.WriteString("description", p.Description);
                w.WriteStartArray("default_input");
                foreach (var d in p.DefaultInput) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteNumber("learning_rate", p.DefaultLearningRate);
                w.WriteNumber("params", a.Params);
                w.WriteNumber("macs", a.Macs);
                w.WriteNumber("flops", a.Flops);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
