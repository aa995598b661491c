using NetBlocks.Kernels;

namespace NetBlocks.Tests.Kernels;

/// <summary>Vectorised elementwise kernels against scalar MathF, for every length 0..67 (every remainder of 8 lanes).</summary>
public class ElementwiseTests
{
    public static IEnumerable<object[]> Lengths() => Enumerable.Range(0, 68).Select(n => new object[] { n });

    private static float[] Data(int n, int seed)
    {
        var r = new NetBlocks.Tensors.RandomGenerator((ulong)seed);
        return Enumerable.Range(0, n).Select(_ => r.NextFloat() * 4 - 2).ToArray();
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EveryKernelMatchesScalar(int n)
    {
        var x = Data(n, 1); var y = Data(n, 2);
        var z = new float[n];

        Elementwise.Add(x, y, z);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] + y[i], z[i]);

        Elementwise.Multiply(x, y, z);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] * y[i], z[i]);

        Elementwise.Affine(x, 1.5f, -0.25f, z);
        for (int i = 0; i < n; i++) Assert.Equal(1.5f * x[i] - 0.25f, z[i], 1e-6f);

        Elementwise.Relu(x, z);
        for (int i = 0; i < n; i++) Assert.Equal(Math.Max(x[i], 0f), z[i]);

        Elementwise.ReluBackward(x, y, z);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] > 0 ? y[i] : 0f, z[i]);

        var acc = (float[])x.Clone();
        Elementwise.AddInPlace(acc, y);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] + y[i], acc[i]);

        acc = (float[])x.Clone();
        Elementwise.AddScaled(acc, -0.5f, y);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] - 0.5f * y[i], acc[i], 1e-6f);

        Elementwise.Sigmoid(x, z);
        for (int i = 0; i < n; i++) Assert.Equal(1f / (1f + MathF.Exp(-x[i])), z[i], 1e-6f);

        Assert.Equal(x.Sum(v => (double)v), Elementwise.Sum(x), 1e-9);
    }

    /// <summary>Spans long enough to be cut in chunks over the threads give the serial results, every element.</summary>
    [Theory]
    [InlineData(Elementwise.ParallelThreshold)]
    [InlineData(Elementwise.ParallelThreshold * 3 + 13)]
    public void LongSpansSplitOverThreadsMatchScalar(int n)
    {
        var x = Data(n, 3); var y = Data(n, 4);
        var z = new float[n];
        Elementwise.Relu(x, z);
        for (int i = 0; i < n; i++) Assert.Equal(Math.Max(x[i], 0f), z[i]);
        Elementwise.ReluBackward(x, y, z);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] > 0 ? y[i] : 0f, z[i]);
        Elementwise.Affine(x, 1.5f, -0.25f, z);
        for (int i = 0; i < n; i++) Assert.Equal(1.5f * x[i] - 0.25f, z[i], 1e-6f);
        Elementwise.AffineRelu(x, 1.5f, -0.25f, z);
        for (int i = 0; i < n; i++) Assert.Equal(Math.Max(1.5f * x[i] - 0.25f, 0f), z[i], 1e-6f);
        var acc = (float[])x.Clone();
        Elementwise.AddInPlace(acc, y);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] + y[i], acc[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[i];
        Assert.Equal(sum, Elementwise.Sum(x), 1e-6);
    }
}
