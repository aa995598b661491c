using System.Text.Json;

namespace NetBlocks.Tests.Analysis;

/// <summary>
/// PyTorch's numbers for one model (tools/make_analysis_fixtures.py → Fixtures/analysis/&lt;case&gt;.json): totals and,
/// per module in named_modules order, the shapes its forward hook saw, its parameters and its MACs.
/// </summary>
internal sealed record AnalysisFixture(
    string Case, string Model, int[] Input, int[] Output, long Params, long Buffers, long ConvParams, long FcParams,
    long Macs, long ConvMacs, long FcMacs, long ProfilerFlops, long Activations, IReadOnlyList<FixtureModule> Modules)
{
    public static AnalysisFixture Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "analysis", name + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        return new AnalysisFixture(
            r.GetProperty("case").GetString()!, r.GetProperty("model").GetString()!, Ints(r.GetProperty("input")), Ints(r.GetProperty("output")),
            r.GetProperty("params").GetInt64(), r.GetProperty("buffers").GetInt64(), r.GetProperty("conv_params").GetInt64(),
            r.GetProperty("fc_params").GetInt64(), r.GetProperty("macs").GetInt64(), r.GetProperty("conv_macs").GetInt64(),
            r.GetProperty("fc_macs").GetInt64(), r.GetProperty("profiler_flops").GetInt64(), r.GetProperty("activations").GetInt64(),
            r.GetProperty("modules").EnumerateArray().Select(m => new FixtureModule(
                m.GetProperty("name").GetString()!, m.GetProperty("type").GetString()!, Ints(m.GetProperty("input")),
                Ints(m.GetProperty("output")), m.GetProperty("own_params").GetInt64(), m.GetProperty("params").GetInt64(),
                m.GetProperty("macs").GetInt64())).ToList());
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
}

internal sealed record FixtureModule(string Name, string Type, int[] Input, int[] Output, long OwnParams, long Params, long Macs);
