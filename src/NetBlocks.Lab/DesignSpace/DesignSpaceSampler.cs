using NetBlocks.Analysis;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.DesignSpace;

/// <summary>A model drawn for a sweep: its spec (ModelZoo builds it), design parameters, and costs at the sweep's input size.</summary>
public sealed record SampledModel(int Index, string Spec, IReadOnlyDictionary<string, double> Parameters, long Params, long Macs);

/// <summary>What to draw: n distinct models of a space inside a MAC band and a parameter band.</summary>
public sealed record SamplingRequest(SpaceKind Space, int Count, ulong Seed = 0, int Resize = 32)
{
    public DesignSpaceOptions Options { get; init; } = new();
    public ValueRange Macs { get; init; } = ValueRange.Any;
    public ValueRange Params { get; init; } = ValueRange.Any;
    /// <summary>Draws (models analysed, duplicates included) before giving up.</summary>
    public int Budget { get; init; } = 10_000;
    public int InputChannels { get; init; } = 1;
    public int Classes { get; init; } = 10;
}

/// <summary>
/// The paper's sampling: draw uniformly from the space, keep the models whose complexity falls in the band, until n
/// distinct ones are found. Seeded (System.Random with a seed is the same sequence on every platform and run).
/// </summary>
public static class DesignSpaceSampler
{
    /// <exception cref="ArgumentException">bad options, or the band holds fewer than n models after the budget: the message
    /// gives the range of MACs and parameters the space's drawn models had, so the user knows how to widen it.</exception>
    public static IReadOnlyList<SampledModel> Sample(SamplingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Options.Validate();
        VioNetSpaces.CheckOptions(request.Space, request.Options);
        if (request.Count < 1) throw new ArgumentException($"--samples must be at least 1, got {request.Count}");
        if (request.Budget < 1) throw new ArgumentException($"the sampling budget must be at least 1, got {request.Budget}");
        if (request.Resize < 8) throw new ArgumentException($"--resize must be at least 8, got {request.Resize}");
        var rng = new Random(unchecked((int)(request.Seed ^ (request.Seed >> 32))));
        var name = DesignSpaces.Name(request.Space);
        var seen = new HashSet<string>();
        var kept = new List<SampledModel>();
        long minMacs = long.MaxValue, maxMacs = 0, minParams = long.MaxValue, maxParams = 0;
        int draws = 0, duplicates = 0, rejected = 0;
        while (kept.Count < request.Count && draws < request.Budget)
        {
            var sample = DrawValid(request, rng, ref rejected);
            draws++;
            if (!seen.Add(sample.Spec)) { duplicates++; continue; }
            (long p, long m)? cost = Cost(sample.Spec, request);
            if (cost is not var (parameters, macs)) continue;
            minMacs = Math.Min(minMacs, macs); maxMacs = Math.Max(maxMacs, macs);
            minParams = Math.Min(minParams, parameters); maxParams = Math.Max(maxParams, parameters);
            if (request.Macs.Contains(macs) && request.Params.Contains(parameters))
                kept.Add(new SampledModel(kept.Count, sample.Spec, sample.Parameters, parameters, macs));
        }
        if (kept.Count < request.Count)
        {
            string band = Band(request);
            string range = minMacs == long.MaxValue ? "no model could be built"
                : $"models in this space range from {ValueRange.Format(minMacs)} to {ValueRange.Format(maxMacs)} MACs and " +
                  $"{ValueRange.Format(minParams)} to {ValueRange.Format(maxParams)} parameters at {request.Resize}×{request.Resize}";
            string widen = request.Macs.IsAny ? "widen --params" : request.Params.IsAny ? "widen --macs" : "widen --macs or --params";
            throw new ArgumentException(kept.Count == 0
                ? $"no model of {name} fits {band} after {draws} draws; {widen} ({range})"
                : $"only {kept.Count} of {request.Count} distinct models of {name} fit {band} after {draws} draws ({duplicates} duplicates); " +
                  $"{widen} or ask for fewer --samples ({range})");
        }
        return kept;
    }

    private static string Band(SamplingRequest r)
    {
        var parts = new List<string>();
        if (!r.Macs.IsAny) parts.Add($"{r.Macs} MACs");
        if (!r.Params.IsAny) parts.Add($"{r.Params} parameters");
        return parts.Count == 0 ? "the space" : string.Join(" and ", parts);
    }

    /// <summary>A draw that meets the space's structural constraints (these cost nothing to check, so they do not count as draws).</summary>
    private static DesignSample DrawValid(SamplingRequest request, Random rng, ref int rejected)
    {
        for (int attempt = 0; attempt < 100_000; attempt++)
        {
            if (DesignSpaces.TryDraw(request.Space, request.Options, rng) is { } s) return s;
            rejected++;
        }
        throw new ArgumentException($"the ranges of {DesignSpaces.Name(request.Space)} admit (almost) no valid model: " +
                                    "check that some group width divides width / bottleneck ratio, and that the RegNet ranges can give the stage count asked");
    }

    /// <summary>Parameters and MACs of a spec for one image at the request's resolution, or null if it does not fit the input.</summary>
    public static (long Params, long Macs)? Cost(string spec, SamplingRequest request) =>
        Cost(spec, request.Resize, request.InputChannels, request.Classes);

    public static (long Params, long Macs)? Cost(string spec, int resize, int channels = 1, int classes = 10)
    {
        using var _ = ParameterDevice.Use(Device.Meta); // sized from shapes: no weights allocated or drawn
        try
        {
            var model = ModelZoo.Create(spec, new ModelOptions(channels, classes));
            var a = ModelAnalyzer.Analyze(model, [1, channels, resize, resize], spec);
            return (a.Params, a.Macs);
        }
        catch (ShapeException) { return null; }
    }
}
