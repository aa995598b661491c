using System.Globalization;
using System.Text;
using System.Text.Json;
using NetBlocks.Analysis;

namespace NetBlocks.Reporting;

/// <summary>
/// Text and JSON renderings of <see cref="ModelAnalysis"/>: the per-layer summary (`netblocks summary`) and the side-by-side
/// comparison (`netblocks compare`). Counts are exact with thousands separators; sizes in MiB; rates in K/M/G (powers of 1000).
/// </summary>
public static class AnalysisReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // ------------------------------------------------------------------ formatting

    /// <summary>128806154 → "128,806,154".</summary>
    public static string Count(long n) => n.ToString("N0", Inv);

    /// <summary>Powers of 1000 with two decimals: 15094464512 → "15.09 G".</summary>
    public static string Si(double v)
    {
        string[] units = ["", " K", " M", " G", " T", " P"];
        int u = 0;
        while (Math.Abs(v) >= 1000 && u < units.Length - 1) { v /= 1000; u++; }
        return u == 0 ? v.ToString("0", Inv) : v.ToString("0.00", Inv) + units[u];
    }

    /// <summary>Bytes in binary units with one decimal: 515224616 → "491.4 MiB".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{bytes} B" : v.ToString("0.0", Inv) + " " + units[u];
    }

    /// <summary>part/whole as "92.8 %" ("-" when whole is 0).</summary>
    public static string Percent(long part, long whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("0.0", Inv) + " %";

    /// <summary>[1, 64, 112, 112] as PyTorch prints a torch.Size; "?" when unknown.</summary>
    public static string Shape(int[]? shape) => shape is null ? "?" : "[" + string.Join(", ", shape) + "]";

    /// <summary>1×1×224×224.</summary>
    public static string Dims(int[] shape) => string.Join("×", shape);

    // ------------------------------------------------------------------ summary

    /// <summary>
    /// The layer table down to <paramref name="depth"/> (1: the root's children, as d2l's layer_summary) with output shape,
    /// parameters, MACs and activation size per row, then the totals and the memory estimate.
    /// </summary>
    public static string Summary(ModelAnalysis a, int depth)
    {
        var sb = new StringBuilder();
        sb.Append(a.Model).Append(": input ").Append(Dims(a.Input)).Append(" (N×C×H×W), output ").Append(Dims(a.Output)).Append("\n\n");
        var table = new TextTable("name", "type", "output shape", "params", "MACs", "activation size").AlignRight(3, 4, 5);
        foreach (var l in a.LayersToDepth(depth))
            table.AddRow(new string(' ', 2 * (l.Depth - 1)) + l.Name, l.Type, Shape(l.Output), Count(l.Params), Count(l.Macs), Count(l.OutputElements));
        if (table.RowCount > 0) sb.Append(table).Append('\n');
        AppendTotals(sb, a);
        return sb.ToString();
    }

    private static void AppendTotals(StringBuilder sb, ModelAnalysis a)
    {
        var m = a.Memory;
        var t = new List<(string Label, string Value, string Note)>
        {
            ("parameters", Count(a.Params), $"trainable {Count(a.TrainableParams)}, non-trainable {Count(a.NonTrainableParams)}; buffers {Count(a.Buffers)} (batch-norm running statistics, not parameters)"),
            ("  conv", Count(a.ConvParams), Percent(a.ConvParams, a.Params)),
            ("  fully connected", Count(a.FcParams), Percent(a.FcParams, a.Params)),
        };
        if (a.OtherParams != 0) t.Add(("  other (batch norm)", Count(a.OtherParams), Percent(a.OtherParams, a.Params)));
        t.Add(("MACs", Count(a.Macs), $"{Si(a.Macs)}; FLOPs = 2 × MACs = {Si(a.Flops)}"));
        t.Add(("  conv", Count(a.ConvMacs), Percent(a.ConvMacs, a.Macs)));
        t.Add(("  fully connected", Count(a.FcMacs), Percent(a.FcMacs, a.Macs)));
        t.Add(("activations", Count(a.Activations), "elements output by the conv and linear layers"));
        t.Add(($"memory, batch {m.Batch}", "", "float32"));
        t.Add(("  parameters", Bytes(m.ParamsBytes), m.BuffersBytes == 0 ? "" : $"+ buffers {Bytes(m.BuffersBytes)}"));
        t.Add(("  inference", Bytes(m.InferenceBytes), $"parameters + buffers + peak live activations {Bytes(m.InferencePeakActivationBytes)} (at {m.InferencePeakAt})"));
        t.Add(("  training", Bytes(m.TrainingBytes),
            $"parameters + gradients + momentum {Bytes(m.ParamsBytes + m.GradientsBytes + m.OptimizerBytes)} + buffers + saved activations {Bytes(m.SavedActivationBytes)} + largest transient {Bytes(m.TrainingTransientBytes)} (at {m.TrainingTransientAt})"));
        int lw = t.Max(r => r.Label.Length), vw = t.Max(r => r.Value.Length);
        foreach (var (label, value, note) in t)
            sb.Append((label.PadRight(lw) + "  " + value.PadLeft(vw) + (note.Length > 0 ? "  " + note : "")).TrimEnd()).Append('\n');
    }

    /// <summary>
    /// One JSON object: model, input [N,C,H,W], output, params, trainable_params, non_trainable_params, buffers, conv/fc
    /// params, macs, flops, conv/fc macs, activations, memory {…_bytes}, layers [{name, type, depth, input, output,
    /// params, own_params, macs, activations}] down to <paramref name="depth"/>, and the module tree when given.
    /// </summary>
    public static string SummaryJson(ModelAnalysis a, int depth, string? tree = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            WriteAnalysis(w, a, depth);
            if (tree is not null) w.WriteString("tree", tree);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteAnalysis(Utf8JsonWriter w, ModelAnalysis a, int? depth)
    {
        w.WriteStartObject();
        w.WriteString("model", a.Model);
        WriteInts(w, "input", a.Input);
        WriteInts(w, "output", a.Output);
        w.WriteNumber("params", a.Params);
        w.WriteNumber("trainable_params", a.TrainableParams);
        w.WriteNumber("non_trainable_params", a.NonTrainableParams);
        w.WriteNumber("buffers", a.Buffers);
        w.WriteNumber("conv_params", a.ConvParams);
        w.WriteNumber("fc_params", a.FcParams);
        w.WriteNumber("macs", a.Macs);
        w.WriteNumber("flops", a.Flops);
        w.WriteNumber("conv_macs", a.ConvMacs);
        w.WriteNumber("fc_macs", a.FcMacs);
        w.WriteNumber("activations", a.Activations);
        var m = a.Memory;
        w.WriteStartObject("memory");
        w.WriteNumber("batch", m.Batch);
        w.WriteNumber("params_bytes", m.ParamsBytes);
        w.WriteNumber("buffers_bytes", m.BuffersBytes);
        w.WriteNumber("gradients_bytes", m.GradientsBytes);
        w.WriteNumber("optimizer_bytes", m.OptimizerBytes);
        w.WriteNumber("inference_peak_activation_bytes", m.InferencePeakActivationBytes);
        w.WriteString("inference_peak_at", m.InferencePeakAt);
        w.WriteNumber("saved_activation_bytes", m.SavedActivationBytes);
        w.WriteNumber("training_transient_bytes", m.TrainingTransientBytes);
        w.WriteString("training_transient_at", m.TrainingTransientAt);
        w.WriteNumber("inference_bytes", m.InferenceBytes);
        w.WriteNumber("training_bytes", m.TrainingBytes);
        w.WriteEndObject();
        if (depth is int d)
        {
            w.WriteStartArray("layers");
            foreach (var l in a.LayersToDepth(d))
            {
                w.WriteStartObject();
                w.WriteString("name", l.Name);
                w.WriteString("type", l.Type);
                w.WriteNumber("depth", l.Depth);
                if (l.Input is null) w.WriteNull("input"); else WriteInts(w, "input", l.Input);
                if (l.Output is null) w.WriteNull("output"); else WriteInts(w, "output", l.Output);
                w.WriteNumber("params", l.Params);
                w.WriteNumber("own_params", l.OwnParams);
                w.WriteNumber("macs", l.Macs);
                w.WriteNumber("activations", l.OutputElements);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
    }

    private static void WriteInts(Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    // ------------------------------------------------------------------ compare

    /// <summary>Models side by side, one column each: parameters, MACs and their conv/FC split, activations, memory.</summary>
    public static string Compare(IReadOnlyList<ModelAnalysis> models)
    {
        var table = new TextTable(["", .. models.Select(m => m.Model)]).AlignRight([.. Enumerable.Range(1, models.Count)]);
        void Row(string label, Func<ModelAnalysis, string> cell) => table.AddRow([label, .. models.Select(cell)]);
        Row("input (N×C×H×W)", m => Dims(m.Input));
        Row("parameters", m => Count(m.Params));
        Row("  conv", m => Count(m.ConvParams));
        Row("  fully connected", m => Count(m.FcParams));
        Row("  FC share", m => Percent(m.FcParams, m.Params));
        Row("MACs", m => Count(m.Macs));
        Row("  conv", m => Count(m.ConvMacs));
        Row("  fully connected", m => Count(m.FcMacs));
        Row("  FC share", m => Percent(m.FcMacs, m.Macs));
        Row("FLOPs", m => Si(m.Flops));
        Row("activations", m => Count(m.Activations));
        Row("memory: parameters", m => Bytes(m.Memory.ParamsBytes));
        Row("memory: inference", m => Bytes(m.Memory.InferenceBytes));
        Row("memory: training", m => Bytes(m.Memory.TrainingBytes));
        var batches = models.Select(m => m.Memory.Batch).Distinct().ToList();
        return table + $"\nmemory in float32 at batch {string.Join("/", batches)}; training = parameters, gradients, SGD momentum, saved activations, largest transient (docs/MODELS.md)\n";
    }

    /// <summary>{"models": [ per model the summary JSON's fields, without layers ]}.</summary>
    public static string CompareJson(IReadOnlyList<ModelAnalysis> models)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteStartArray("models");
            foreach (var a in models)
            {
                WriteAnalysis(w, a, depth: null);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
