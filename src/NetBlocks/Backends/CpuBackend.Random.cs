using NetBlocks.Tensors;

namespace NetBlocks.Backends;

public sealed partial class CpuBackend
{
    public void DropoutMask(Tensor mask, float p, RandomGenerator generator)
    {
        var ms = F32(mask);
        float keep = p == 1 ? 0f : 1f / (1f - p);
        for (int i = 0; i < ms.Length; i++) ms[i] = generator.NextFloat() >= p ? keep : 0f;
    }

    public void FillUniform(Tensor t, float low, float high, RandomGenerator generator)
    {
        var s = F32(t);
        for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * generator.NextFloat();
    }

    public void FillNormal(Tensor t, float mean, float std, RandomGenerator generator)
    {
        var s = F32(t);
        for (int i = 0; i < s.Length; i++) s[i] = mean + std * (float)generator.NextNormal();
    }
}
