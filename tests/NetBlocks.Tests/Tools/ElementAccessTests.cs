using System.Reflection;
using System.Text.RegularExpressions;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Tools;

/// <summary>
/// The seam between the math and the device: above the tensor and backend layers, engine code reaches a tensor's
/// elements only through its backend or named tensor methods. Other assemblies cannot see <c>Span</c>, <c>RawData</c>
/// or <c>Memory</c> at all (they are internal); inside the engine, this test keeps them out of the folders above the
/// seam, naming the file and line of every use.
/// </summary>
public partial class ElementAccessTests
{
    /// <summary>The engine folders above the seam: they compute through <c>Tensor.Backend</c>.</summary>
    private static readonly string[] AboveTheSeam = ["Functional", "Autograd", "Nn", "Optim"];

    [GeneratedRegex(@"\.(Span|Int32Span|RawData|Memory)\b")]
    private static partial Regex ElementAccess();

    /// <summary>"line N: text" for each line of <paramref name="source"/> that touches a tensor's elements (comments aside).</summary>
    internal static IEnumerable<string> Uses(string source)
    {
        var lines = source.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var code = lines[i];
            int comment = code.IndexOf("//", StringComparison.Ordinal);
            if (comment >= 0) code = code[..comment];
            if (ElementAccess().IsMatch(code)) yield return $"line {i + 1}: {lines[i].Trim()}";
        }
    }

    [Fact]
    public void The_scan_finds_element_access_and_ignores_comments_and_named_methods()
    {
        const string source = """
            var a = x.ToArray(); // reads x.Span through a named method
            var s = x.Span;
            Kernel(x.RawData, x.Offset);
            /// <see cref="Tensor.Memory"/>
            var m = y.Memory.Slice(0, 2);
            ReadOnlySpan<int> labels = l.AsSpan();
            """;
        Assert.Equal(["line 2: var s = x.Span;", "line 3: Kernel(x.RawData, x.Offset);", "line 5: var m = y.Memory.Slice(0, 2);"], Uses(source));
    }

    [Fact]
    public void Other_assemblies_cannot_see_a_tensors_elements()
    {
        foreach (var name in new[] { "Span", "Int32Span", "RawData", "Memory", "At" }) // At: the indexer t[i, j]
        {
            var property = typeof(Tensor).GetProperty(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            Assert.NotNull(property);
            Assert.True(property.GetMethod!.IsAssembly, $"Tensor.{name} must stay internal to the engine");
        }
    }

    [SourceFact]
    public void Engine_code_above_the_seam_reaches_elements_only_through_the_backend()
    {
        string engine = Path.Combine(RepositoryRoot.Find()!, "src", "NetBlocks");
        var found = new List<string>();
        foreach (var folder in AboveTheSeam)
        {
            var files = Directory.GetFiles(Path.Combine(engine, folder), "*.cs", SearchOption.AllDirectories);
            Assert.NotEmpty(files);
            foreach (var file in files.Order(StringComparer.Ordinal))
                found.AddRange(Uses(File.ReadAllText(file)).Select(use => $"{Path.GetRelativePath(engine, file)} {use}"));
        }
        Assert.True(found.Count == 0,
            "tensor elements touched above the backend seam (use Tensor.Backend or a named tensor method):\n" + string.Join("\n", found));
    }
}

/// <summary>A fact that reads the repository's sources; skipped when the tests do not run from a checkout.</summary>
public sealed class SourceFactAttribute : FactAttribute
{
    public SourceFactAttribute()
    {
        if (RepositoryRoot.Find() is null) Skip = "not run from a repository checkout (no NetBlocks.slnx above the test assembly)";
    }
}
