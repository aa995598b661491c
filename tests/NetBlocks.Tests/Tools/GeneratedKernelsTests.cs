using System.Diagnostics;

namespace NetBlocks.Tests.Tools;

/// <summary>
/// The unrolled kernel files under src/NetBlocks/Kernels are written by the generators in tools/ and checked in.
/// These tests run each generator into a scratch copy of the tree and require the output to equal the checked-in file
/// byte for byte, so a hand edit of a generated file, or a generator changed without regenerating, fails here.
/// </summary>
public class GeneratedKernelsTests
{
    [GeneratorFact]
    public void Direct_convolution_tiles_match_their_generator() =>
        AssertRegenerates("gen_direct_conv_kernels.py", "DirectConvolution.Kernels.cs");

    [GeneratorFact]
    public void Direct_weight_gradient_tiles_match_their_generator() =>
        AssertRegenerates("gen_direct_dw_kernels.py", "DirectWeightGradient.Kernels.cs");

    [GeneratorFact]
    public void Gemm_micro_kernels_match_their_generator() =>
        AssertRegenerates("gen_gemm_microkernels.py", "Gemm.MicroKernel.cs");

    private static void AssertRegenerates(string generator, string generated)
    {
        string root = RepositoryRoot.Find()!;
        string scratch = Directory.CreateTempSubdirectory("netblocks-gen-").FullName;
        try
        {
            string tools = Directory.CreateDirectory(Path.Combine(scratch, "tools")).FullName;
            foreach (var py in Directory.GetFiles(Path.Combine(root, "tools"), "*.py"))
                File.Copy(py, Path.Combine(tools, Path.GetFileName(py)));
            string kernels = Directory.CreateDirectory(Path.Combine(scratch, "src", "NetBlocks", "Kernels")).FullName;

            var psi = new ProcessStartInfo(GeneratorFactAttribute.Python!, Path.Combine(tools, generator))
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = scratch,
            };
            using var p = Process.Start(psi)!;
            string stderr = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"{generator} failed: {stderr}");

            byte[] expected = File.ReadAllBytes(Path.Combine(kernels, generated));
            byte[] actual = File.ReadAllBytes(Path.Combine(root, "src", "NetBlocks", "Kernels", generated));
            int firstDifference = Enumerable.Range(0, Math.Min(expected.Length, actual.Length))
                .FirstOrDefault(i => expected[i] != actual[i], -1);
            Assert.True(expected.AsSpan().SequenceEqual(actual),
                $"src/NetBlocks/Kernels/{generated} is not what tools/{generator} writes " +
                $"({actual.Length} vs {expected.Length} bytes, first difference at byte {firstDifference}); " +
                $"edit the generator and run `python3 tools/{generator}`, never the generated file");
        }
        finally { Directory.Delete(scratch, recursive: true); }
    }
}

/// <summary>The repository checkout the test assembly was built from (the folder holding NetBlocks.slnx), if any.</summary>
internal static class RepositoryRoot
{
    public static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NetBlocks.slnx"))) return dir.FullName;
        return null;
    }
}

/// <summary>A fact that needs the repository's tools/ folder and a python3 on PATH; skipped, saying which is missing, otherwise.</summary>
public sealed class GeneratorFactAttribute : FactAttribute
{
    public static readonly string? Python = FindOnPath("python3");

    public GeneratorFactAttribute()
    {
        if (RepositoryRoot.Find() is null) Skip = "not run from a repository checkout (no NetBlocks.slnx above the test assembly)";
        else if (Python is null) Skip = "python3 is not on PATH: the kernel generators in tools/ cannot be run";
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
