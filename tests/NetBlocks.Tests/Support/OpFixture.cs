using System.Globalization;
using System.Text;
using NetBlocks.Serialization;

namespace NetBlocks.Tests.Support;

/// <summary>
/// One PyTorch reference case written by <c>tools/make_fixtures.py</c>, e.g.
/// <c>OpFixture.Load("ops/conv2d_k3_s1_p1")</c>. Naming convention (see tools/README.md):
/// <c>input</c>, <c>input2</c>, <c>target</c>, <c>param.&lt;key&gt;</c> (before the forward),
/// <c>output</c>, <c>grad_output</c>, <c>grad.input</c>, <c>grad.param.&lt;key&gt;</c>,
/// <c>after.&lt;key&gt;</c> (buffers after a training forward); op arguments in the metadata.
/// </summary>
public sealed class OpFixture
{
    private readonly SafeTensorFile _file;

    private OpFixture(string name, SafeTensorFile file)
    {
        Name = name;
        _file = file;
    }

    /// <summary>Directory the fixtures are copied to next to the test assembly.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>The case name as passed to <see cref="Load"/>, e.g. <c>ops/relu</c>.</summary>
    public string Name { get; }

    /// <summary>Full path of the fixture file.</summary>
    public string FilePath => _file.Path;

    /// <summary>Tensor names in file order.</summary>
    public IReadOnlyCollection<string> Names => _file.Tensors.Keys.ToArray();

    /// <summary>All metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    /// <summary>The underlying file (tensors, source dtypes, metadata).</summary>
    public SafeTensorFile File => _file;

    /// <summary>Loads <c>Fixtures/&lt;name&gt;.safetensors</c> (the extension is optional).</summary>
    public static OpFixture Load(string name)
    {
        string rel = name.EndsWith(".safetensors", StringComparison.Ordinal) ? name : name + ".safetensors";
        string path = Path.Combine(Root, rel.Replace('/', Path.DirectorySeparatorChar));
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException(
                $"fixture '{name}' not found at {path}; regenerate with `/usr/bin/python3 tools/make_fixtures.py` " +
                "and check the test project copies Fixtures/** to the output directory", path);
        return new OpFixture(name, SafeTensors.Read(path));
    }

    /// <summary>Every fixture file under <paramref name="folder"/> (e.g. <c>"ops"</c>) as names for <see cref="Load"/>.</summary>
    public static IEnumerable<string> List(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.safetensors")
                 .Select(p => folder + "/" + Path.GetFileNameWithoutExtension(p))
                 .Order(StringComparer.Ordinal);

    // ------------------------------------------------------------------ metadata

    public bool HasMeta(string key) => _file.Metadata.ContainsKey(key);

    public string Meta(string key) =>
        _file.Metadata.TryGetValue(key, out var v)
            ? v
            : throw new KeyNotFoundException(
                $"{Name}: no metadata '{key}'; it has: {string.Join(", ", _file.Metadata.Select(kv => kv.Key + "=" + kv.Value))}");

    public int MetaInt(string key) => int.Parse(Meta(key), NumberStyles.Integer, CultureInfo.InvariantCulture);

    public float MetaFloat(string key) => (float)MetaDouble(key);

    public double MetaDouble(string key) => double.Parse(Meta(key), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Booleans are written as "1"/"0" (also accepts "true"/"false").</summary>
    public bool MetaBool(string key) => Meta(key) switch
    {
        "1" or "true" or "True" => true,
        "0" or "false" or "False" => false,
        var v => throw new FormatException($"{Name}: metadata '{key}' = '{v}' is not a boolean"),
    };

    // ------------------------------------------------------------------ tensors

    public bool Has(string name) => _file.Tensors.ContainsKey(name);

    public SafeTensor Tensor(string name) =>
        _file.Tensors.TryGetValue(name, out var t)
            ? t
            : throw new KeyNotFoundException($"{Name}: no tensor '{name}'; it has: {string.Join(", ", _file.Tensors.Keys)}");

    /// <summary>A copy of the tensor's data (int64 tensors such as targets come back as floats).</summary>
    public float[] Array(string name) => (float[])Tensor(name).Data.Clone();

    /// <summary>Integer tensors (targets, num_batches_tracked) as ints.</summary>
    public int[] IntArray(string name) => Tensor(name).Data.Select(v => checked((int)v)).ToArray();

    public int[] Shape(string name) => (int[])Tensor(name).Shape.Clone();

    /// <summary>Asserts <paramref name="actual"/> matches fixture tensor <paramref name="name"/>.</summary>
    public void AssertClose(string name, ReadOnlySpan<float> actual, double rtol = 1e-4, double atol = 1e-5)
    {
        var t = Tensor(name);
        AssertClose(t.Data, actual, rtol, atol, $"{Name}:{name}", t.Shape);
    }

    // ------------------------------------------------------------------ comparison

    /// <summary>
    /// torch.allclose semantics: |actual - expected| &lt;= atol + rtol * |expected| element-wise;
    /// NaN matches NaN, infinities must match exactly. The failure message gives the number of
    /// mismatches, the first mismatching index with both values, and the max absolute error.
    /// </summary>
    public static void AssertClose(float[] expected, ReadOnlySpan<float> actual, double rtol = 1e-4,
                                   double atol = 1e-5, string what = "", int[]? shape = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        string label = what.Length > 0 ? what + ": " : "";
        if (expected.Length != actual.Length)
            Assert.Fail($"{label}length mismatch: expected {expected.Length} elements, actual {actual.Length}");

        int mismatches = 0, first = -1, maxAt = -1;
        double maxErr = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double err;
            bool ok;
            if (double.IsNaN(e) || double.IsNaN(a))
            {
                ok = double.IsNaN(e) && double.IsNaN(a);
                err = ok ? 0 : double.PositiveInfinity;
            }
            else if (double.IsInfinity(e) || double.IsInfinity(a))
            {
                ok = e == a;
                err = ok ? 0 : double.PositiveInfinity;
            }
            else
            {
                err = Math.Abs(a - e);
                ok = err <= atol + rtol * Math.Abs(e);
            }
            if (err > maxErr || maxAt < 0) { maxErr = err; maxAt = i; }
            if (!ok)
            {
                mismatches++;
                if (first < 0) first = i;
            }
        }
        if (mismatches == 0) return;

        var sb = new StringBuilder();
        sb.Append(label)
          .Append(CultureInfo.InvariantCulture, $"{mismatches} of {expected.Length} elements differ (rtol={rtol:G3}, atol={atol:G3}). ")
          .Append(CultureInfo.InvariantCulture, $"First mismatch at {Index(first, shape)}: expected {F(expected[first])}, actual {F(actual[first])}. ")
          .Append(CultureInfo.InvariantCulture, $"Max abs error {maxErr:G4} at {Index(maxAt, shape)} (expected {F(expected[maxAt])}, actual {F(actual[maxAt])}).");
        Assert.Fail(sb.ToString());
    }

    private static string F(float v) => v.ToString("G9", CultureInfo.InvariantCulture);

    private static string Index(int flat, int[]? shape)
    {
        if (shape is null || shape.Length < 2 || shape.Aggregate(1L, (a, d) => a * d) <= flat)
            return $"[{flat}]";
        var idx = new int[shape.Length];
        int rest = flat;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = rest % shape[d];
            rest /= shape[d];
        }
        return $"[{flat}] = [{string.Join(", ", idx)}]";
    }
}
