using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Tests;

/// <summary>[Theory] that is skipped, with the reason, on machines without AVX-512 (the direct and 1×1 kernels need it).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Avx512TheoryAttribute : TheoryAttribute
{
    public Avx512TheoryAttribute()
    {
        if (!Avx512F.IsSupported) Skip = "the direct convolution kernels need AVX-512F, which this machine lacks";
    }
}

/// <summary>[Fact] that is skipped, with the reason, on machines without AVX-512.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!Avx512F.IsSupported) Skip = "the direct convolution kernels need AVX-512F, which this machine lacks";
    }
}
