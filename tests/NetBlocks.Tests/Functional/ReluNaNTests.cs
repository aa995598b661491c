using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Functional;

/// <summary>
/// ReLU keeps a NaN as torch.relu does (max(NaN, 0) is NaN) and turns −0 into +0, at every position: the vector body
/// and the scalar tail of every ReLU kernel (relu, relu of a sum, the batch norm's fused ReLU) agree. Before, the tails
/// turned a NaN into 0 while the vector lanes kept it.
/// </summary>
public class ReluNaNTests
{
    /// <summary>29 values (3 vectors of 8 and a tail of 5, or 1 of 16 and 13): NaN, −0, −1, 2, repeated.</summary>
    internal static float[] Inputs()
    {
        var x = new float[29];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 4) switch { 0 => float.NaN, 1 => -0f, 2 => -1f, _ => 2f };
        return x;
    }

    /// <summary>What torch.relu gives: NaN stays NaN, −0 and −1 give +0, 2 stays 2.</summary>
    internal static void AssertRelu(float[] x, float[] y)
    {
        Assert.Equal(x.Length, y.Length);
        for (int i = 0; i < x.Length; i++)
        {
            if (float.IsNaN(x[i])) Assert.True(float.IsNaN(y[i]), $"relu(NaN) at {i} gave {y[i]}");
            else Assert.Equal(BitConverter.SingleToInt32Bits(Math.Max(x[i], 0f)), BitConverter.SingleToInt32Bits(y[i]));
        }
        Assert.DoesNotContain(y, v => BitConverter.SingleToInt32Bits(v) == BitConverter.SingleToInt32Bits(-0f));
    }

    [Fact]
    public void ReluKeepsNaNAndMakesMinusZeroPlusZeroInTheBodyAndTheTail()
    {
        var x = Inputs();
        AssertRelu(x, F.Relu(Tensor.FromArray(x, x.Length)).ToArray());
    }

    [Fact]
    public void TheResidualSumsReluDoesTheSame()
    {
        var x = Inputs();
        var zeros = new float[x.Length];
        AssertRelu(x, F.AddRelu(Tensor.FromArray(x, x.Length), Tensor.FromArray(zeros, x.Length)).ToArray());
    }

    [Fact]
    public void TheBatchNormsFusedReluDoesTheSame()
    {
        // one channel in eval with mean 0, variance 1 − eps, γ 1, β 0: the normalise is the identity, then the ReLU
        var x = Inputs();
        var mean = Tensor.FromArray([0f], 1);
        var variance = Tensor.FromArray([1f - 1e-5f], 1);
        var y = F.BatchNorm2d(Tensor.FromArray(x, 1, 1, 1, x.Length), mean, variance, null, null, training: false, relu: true).ToArray();
        for (int i = 0; i < x.Length; i++)
            if (!float.IsNaN(x[i])) Assert.Equal(Math.Max(x[i], 0f), y[i], 6);
        Assert.All(Enumerable.Range(0, x.Length).Where(i => float.IsNaN(x[i])), i => Assert.True(float.IsNaN(y[i]), $"relu(bn(NaN)) at {i} gave {y[i]}"));
        Assert.DoesNotContain(y, v => BitConverter.SingleToInt32Bits(v) == BitConverter.SingleToInt32Bits(-0f));
    }
}
