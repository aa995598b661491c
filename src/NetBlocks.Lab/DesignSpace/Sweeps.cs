namespace NetBlocks.DesignSpace;

/// <summary>What `netblocks sweep create` asks for.</summary>
public sealed record SweepCreateRequest(string Name, SpaceKind Space, int Samples, TrialSettings Settings)
{
    public DesignSpaceOptions Options { get; init; } = new();
    public ValueRange Macs { get; init; } = ValueRange.Any;
    public ValueRange Params { get; init; } = ValueRange.Any;
    /// <summary>Seed of the sampler (default: the training seed).</summary>
    public ulong? SamplingSeed { get; init; }
    public int MaxAttempts { get; init; } = 3;
    public int Budget { get; init; } = 10_000;
}

/// <summary>The sweep operations the CLI calls: create (sample and store) and look up.</summary>
public static class Sweeps
{
    /// <summary>Samples the models and records the sweep with its trials pending.</summary>
    /// <exception cref="SweepExistsException">the name is taken in this store.</exception>
    /// <exception cref="ArgumentException">bad settings, or the band holds too few models (see <see cref="DesignSpaceSampler"/>).</exception>
    public static (SweepDefinition Sweep, IReadOnlyList<SampledModel> Models) Create(ITrialStore store, SweepCreateRequest request)
    {
        SweepDefinition.ValidateName(request.Name);
        request.Settings.Validate();
        if (request.MaxAttempts < 1) throw new ArgumentException($"--max-attempts must be at least 1, got {request.MaxAttempts}");
        if (store.GetSweep(request.Name) is not null)
            throw new SweepExistsException($"sweep '{request.Name}' already exists in {store.Location} ({store.Counts(request.Name).Total} trials); " +
                                           $"choose another name, or continue it with `netblocks sweep run {request.Name}`");
        ulong seed = request.SamplingSeed ?? request.Settings.Seed;
        var models = DesignSpaceSampler.Sample(new SamplingRequest(request.Space, request.Samples, seed, request.Settings.Resize)
        {
            Options = request.Options, Macs = request.Macs, Params = request.Params, Budget = request.Budget,
        });
        var sweep = new SweepDefinition(request.Name, request.Space, request.Settings)
        {
            Options = request.Options, Macs = request.Macs, Params = request.Params, MaxAttempts = request.MaxAttempts, SamplingSeed = seed,
        };
        store.CreateSweep(sweep, models);
        return (sweep, models);
    }

    /// <summary>Puts the sweep's failed trials back to pending with their attempts reset, for `sweep run` to train again; returns how many.</summary>
    /// <exception cref="KeyNotFoundException">no such sweep (the message lists the store's sweeps).</exception>
    public static int Retry(ITrialStore store, string name)
    {
        Get(store, name);
        return store.Requeue(name);
    }

    public static SweepDefinition Get(ITrialStore store, string name) =>
        store.GetSweep(name) ?? throw SweepRunner.NoSuchSweep(store, name);
}
