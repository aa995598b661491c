namespace NetBlocks.Tests.Analysis;

/// <summary>
/// Tests that materialise models: every new weight is drawn from the process-wide RandomGenerator.Default. Run in
/// parallel they would shift the random stream under tests that seed it and expect an exact sequence (the trainer's
/// resume test), so they run apart, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DrawsDefaultRandomCollection
{
    public const string Name = "materialises models (draws from RandomGenerator.Default)";
}
