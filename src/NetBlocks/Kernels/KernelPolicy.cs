namespace NetBlocks.Kernels;

/// <summary>
/// Which kernel variant runs and how work is blocked, for one <see cref="ExecutionContext"/>. The defaults are the
/// measured rules (see <see cref="Convolution"/>, <see cref="Kernels.DirectWeightGradient"/>); tests force each path on a
/// machine that has it, and benchmarks try other block sizes, each in a context of its own, so nothing else running in
/// the process sees the change. Every choice here is a function of the shapes and the thread count only, so for a
/// given policy the summation order, and so the results, are too.
/// </summary>
public sealed record KernelPolicy
{
    /// <summary>The measured rules.</summary>
    public static KernelPolicy Default { get; } = new();

    /// <summary>The GEMM micro-kernel family; <see cref="GemmPath.Auto"/>: the best the machine supports.</summary>
    internal GemmPath GemmPath { get; init; } = GemmPath.Auto;

    /// <summary>The GEMM's cache blocking (KC, MC) on every path; null: each path's measured one (<see cref="Gemm.Blocking"/>).</summary>
    internal Gemm.Blocking? GemmBlocking
    {
        get;
        init => field = value is { KC: < 1 } or { MC: < 1 } ? throw new ArgumentOutOfRangeException(nameof(GemmBlocking), value, "KC and MC must be at least 1") : value;
    }

    /// <summary>The direct convolution (forward, input gradient): null, the measured rule; true, wherever it applies; false, never.</summary>
    public bool? DirectConvolution { get; init; }

    /// <summary>
    /// The 1×1 kernel (<see cref="Kernels.PointwiseConvolution"/>; forward, input gradient) of 1×1 stride-1 layers, as
    /// <see cref="DirectConvolution"/> (which it follows when null): null, the measured rule; true, wherever it applies;
    /// false, never (im2col's GEMM).
    /// </summary>
    public bool? PointwiseConvolution { get; init; }

    /// <summary>The direct weight gradient, as <see cref="DirectConvolution"/> (which it follows when null): null, true, false.</summary>
    public bool? DirectWeightGradient { get; init; }

    /// <summary>
    /// Winograd F(2×2, 3×3) for 3×3 stride-1 ungrouped convolutions (forward, input gradient): null, the measured rule
    /// (<see cref="Convolution.WinogradPays"/>; only while <see cref="DirectConvolution"/> is null, so that forcing the
    /// direct or im2col path still tests that path); true, wherever it applies; false, never.
    /// </summary>
    public bool? Winograd { get; init; }

    /// <summary>Bytes of a Winograd work item's transformed input and products (U and M) aimed for: the tiles per item (a multiple of 32).</summary>
    public int WinogradBlockBytes { get; init => field = AtLeast(value, 4); } = 1024 * 1024;

    /// <summary>Run Winograd's transforms lane by lane even on AVX-512 (tests: the portable path gives the same bits).</summary>
    internal bool WinogradScalarTransforms { get; init; }

    /// <summary>Columns a convolution's GEMM should have at least: planes smaller than this are batched, several samples side by side (1: one sample per GEMM).</summary>
    public int BlockColumns { get; init => field = AtLeast(value, 1); } = 512;

    /// <summary>Planes at least this large run one sample per GEMM (see <see cref="Convolution.SamplesPerBlock"/>).</summary>
    public int BlockBelow { get; init => field = AtLeast(value, 0); } = 128;

    /// <summary>Bytes of a sample block's transposed dy and padded input (one unit's share) that the direct weight gradient aims for.</summary>
    public int WeightGradientBlockBytes { get; init => field = AtLeast(value, 4); } = 160 * 1024;

    /// <summary>Input-channel ranges per (group, channel chunk) the direct weight gradient aims for: units ≈ this × threads.</summary>
    public int WeightGradientUnitsPerThread { get; init => field = AtLeast(value, 1); } = 4;

    private static int AtLeast(int value, int min, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
        => value >= min ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least {min}");
}
