using System.Diagnostics;

namespace NetBlocks.Tests.Tools;

/// <summary>
/// bench/design_study_tables.py on hand-written `sweep compare/report --json` files: each claim verdict rule, Spearman's
/// ρ of paired models, the VioNet ranking, and its errors for a missing folder or a foreign JSON file.
/// </summary>
public sealed class DesignStudyTablesTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("netblocks-study-").FullName;
    private string Json => Path.Combine(dir, "json");

    public DesignStudyTablesTests() => Directory.CreateDirectory(Json);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(GeneratorFactAttribute.Python!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(RepositoryRoot.Find()!, "bench", "design_study_tables.py"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr);
    }

    private void Compare(string a, string b, double ks, double bLeft, double aLeft, double p, int n) =>
        File.WriteAllText(Path.Combine(Json, $"compare-{a}-{b}.json"), $$"""
            {"sweeps": [{"name": "{{a}}", "median_error": 0.2}, {"name": "{{b}}", "median_error": 0.25}],
             "comparison": {"a": "{{a}}", "b": "{{b}}", "ks": {{N(ks)}}, "ks_b_left": {{N(bLeft)}}, "ks_a_left": {{N(aLeft)}}, "p": {{N(p)}}, "n_a": {{n}}, "n_b": {{n}} } }
            """);

    private static string N(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Trials(params (string Spec, double Error)[] trials) =>
        "[" + string.Join(",", trials.Select((t, i) => $$"""{"trial": {{i}}, "spec": "{{t.Spec}}", "error": {{N(t.Error)}} }""")) + "]";

    [GeneratorFact]
    public void Claims_fidelity_and_vionet_tables_follow_the_stated_rules()
    {
        Compare("anynetx-a", "anynetx-b", 0.1, 0.1, 0.05, 0.5, 100);   // ≈, no difference, n detects 0.2 → confirmed
        Compare("anynetx-b", "anynetx-c", 0.3, 0.3, 0, 0.6, 3);        // ≈, no difference, n = 3 → cannot tell
        Compare("anynetx-c", "anynetx-d", 0.3, 0.3, 0, 0.0001, 100);   // improves, B left → confirmed
        Compare("anynetx-d", "anynetx-e", 0.25, 0, 0.25, 0.01, 100);   // improves, B right → not confirmed (worse)
        Compare("anynetx-e", "regnet", 0.3, 0.3, 0, 0.0001, 100);      // at least as good, B left → confirmed (better)
        // cheap vs long ranks: one swap among four paired models (ρ = 0.8); the unpaired spec is left out
        File.WriteAllText(Path.Combine(Json, "report-fidelity.json"), $$"""
            {"sweeps": [{"name": "regnet", "trials": {{Trials(("m1", 0.1), ("m2", 0.2), ("m3", 0.3), ("m4", 0.4), ("m5", 0.5))}}},
                        {"name": "regnet-long", "trials": {{Trials(("m1", 0.05), ("m2", 0.15), ("m3", 0.35), ("m4", 0.25))}}}]}
            """);
        File.WriteAllText(Path.Combine(Json, "report-vionet.json"), """
            {"sweeps": [{"name": "regnet", "median_error": 0.20, "done": 100},
                        {"name": "vionet-widths", "median_error": 0.30, "done": 100},
                        {"name": "vionet-depths", "median_error": 0.24, "done": 100},
                        {"name": "vionet-groups", "median_error": 0.21, "done": 100}],
             "comparisons": [
               {"b": "vionet-widths", "ks": 0.4, "ks_b_left": 0, "ks_a_left": 0.4, "p": 0.0001, "n_a": 100, "n_b": 100},
               {"b": "vionet-depths", "ks": 0.22, "ks_b_left": 0, "ks_a_left": 0.22, "p": 0.01, "n_a": 100, "n_b": 100},
               {"b": "vionet-groups", "ks": 0.1, "ks_b_left": 0.1, "ks_a_left": 0, "p": 0.6, "n_a": 100, "n_b": 100}]}
            """);
        var md = Path.Combine(dir, "tables.md");
        var r = Run(Json, md);
        Assert.True(r.Code == 0, r.Err);
        var text = File.ReadAllText(md);
        Assert.Contains("| AnyNetX_B ≈ AnyNetX_A (sharing b costs nothing) | anynetx-a | anynetx-b | 100 + 100 | 0.200 | 0.250 | 0.100 | 0.500 | no significant shift | confirmed |", text);
        Assert.Contains("| 3 + 3 | 0.200 | 0.250 | 0.300 | 0.600 | no significant shift | cannot tell at this n |", text);
        Assert.Contains("| AnyNetX_D improves on C (non-decreasing widths) | anynetx-c | anynetx-d | 100 + 100 | 0.200 | 0.250 | 0.300 | 1.0e-04 | left (better) | confirmed |", text);
        Assert.Contains("| 0.250 | 0.010 | right (worse) | not confirmed (worse) |", text);
        Assert.Contains("| RegNet is at least as good as AnyNetX_E | anynetx-e | regnet | 100 + 100 | 0.200 | 0.250 | 0.300 | 1.0e-04 | left (better) | confirmed (better) |", text);
        Assert.Contains("| 4 | 0.800 |", text);
        Assert.Contains("Matters most: **c**; order among the significant ones: c (KS 0.400) > d (KS 0.220).", text);
        Assert.Contains("| g: one group width | vionet-groups | 100 | 0.210 | 0.010 | 0.100 | 0.600 | no significant shift |", text);
    }

    [GeneratorFact]
    public void A_missing_folder_or_a_foreign_json_file_is_a_one_line_error()
    {
        var missing = Run(Path.Combine(dir, "nothing"), Path.Combine(dir, "t.md"));
        Assert.Equal(1, missing.Code);
        Assert.Equal($"error: {Path.Combine(dir, "nothing")} is not a folder (run bench/design_study.sh first)\n", missing.Err);

        File.WriteAllText(Path.Combine(Json, "compare-anynetx-a-anynetx-b.json"), """{"sweeps": []}""");
        var foreign = Run(Json, Path.Combine(dir, "t.md"));
        Assert.Equal(1, foreign.Code);
        Assert.StartsWith($"error: a JSON file in {Json} is not what `netblocks sweep report/compare --json` writes (", foreign.Err);
        Assert.False(File.Exists(Path.Combine(dir, "t.md")));
    }
}
