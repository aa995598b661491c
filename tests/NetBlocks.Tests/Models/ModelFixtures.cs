using System.Collections.Concurrent;
using System.Text.Json;
using NetBlocks.Models;
using NetBlocks.Nn;

namespace NetBlocks.Tests.Models;

/// <summary>
/// Reads the JSON fixtures written by tools/make_model_fixtures.py (Fixtures/models/*.json): per network a parameter
/// count, and for some the state-dict keys with shapes, the top-level layer summary, PyTorch's printout and RegNet stages.
/// </summary>
internal static class ModelFixtures
{
    private static readonly Dictionary<string, JsonElement> Files = new();

    /// <summary>The entry <paramref name="net"/> of Fixtures/models/<paramref name="file"/>.json ("nets" object).</summary>
    public static JsonElement Net(string file, string net)
    {
        JsonElement root;
        lock (Files)
        {
            if (!Files.TryGetValue(file, out root))
            {
                var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "models", file + ".json");
                Assert.True(File.Exists(path), $"missing fixture {path}: run /usr/bin/python3 tools/make_model_fixtures.py");
                root = JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
                Files[file] = root;
            }
        }
        Assert.True(root.GetProperty("nets").TryGetProperty(net, out var entry), $"fixture {file}.json has no net '{net}'");
        return entry;
    }

    public static long Params(JsonElement net) => net.GetProperty("params").GetInt64();

    public static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    /// <summary>"key [d0, d1, …]" per state-dict entry, in order.</summary>
    public static List<string> StateDict(JsonElement net) =>
        [.. net.GetProperty("state_dict").EnumerateArray().Select(e => Entry(e[0].GetString()!, Ints(e[1])))];

    public static List<string> StateDict(Module m) => [.. m.StateDict().Select(e => Entry(e.Key, e.Value.ShapeArray))];

    private static string Entry(string key, int[] shape) => $"{key} [{string.Join(", ", shape)}]";

    /// <summary>(depth, width, group width) per stage.</summary>
    public static List<(int Depth, int Width, int GroupWidth)> Stages(JsonElement net) =>
        [.. net.GetProperty("stages").EnumerateArray().Select(s =>
            (s.GetProperty("depth").GetInt32(), s.GetProperty("width").GetInt32(), s.GetProperty("group_width").GetInt32()))];

    private static readonly ConcurrentDictionary<string, Lazy<Module>> BuiltModels = new();

    /// <summary>
    /// ModelZoo.Create(name) materialised for <paramref name="input"/>, built once per test run and shared between tests
    /// (VGG-11 at 224×224 holds 129 M parameters): read it, never train it.
    /// </summary>
    public static Module Built(string name, params int[] input) =>
        BuiltModels.GetOrAdd($"{name}@{string.Join("x", input)}", _ => new Lazy<Module>(() =>
        {
            var m = ModelZoo.Create(name);
            m.Build(input);
            return m;
        })).Value;
}
