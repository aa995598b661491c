using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Kernels;

/// <summary>
/// Issue #15, the kernels under an inference plan: a forward from weights prepared once (<see cref="PackedWeights"/>:
/// the direct kernel's packing, Winograd's transform) equals the forward that packs them per call bit for bit, and the
/// ReLU in the store (direct transpose, Winograd output transform, im2col's bias pass) equals the convolution followed by
/// F.Relu's kernel (<see cref="Elementwise.Relu"/>) bit for bit — negative outputs, zeros and NaNs included — on each path,
/// with groups, stride 2, batch 1 and batches larger than the thread count.
/// </summary>
public sealed class PreparedConvolutionKernelTests
{
    public enum Path { Direct, Winograd, WinogradScalarTransforms, Im2Col }

    private static KernelPolicy PolicyFor(Path path) => path switch
    {
        Path.Direct => new KernelPolicy { DirectConvolution = true, Winograd = false },
        Path.Winograd => new KernelPolicy { Winograd = true },
        Path.WinogradScalarTransforms => new KernelPolicy { Winograd = true, WinogradScalarTransforms = true },
        _ => new KernelPolicy { DirectConvolution = false, Winograd = false },
    };

    /// <summary>The kernel the path runs on this machine: the direct kernel needs AVX-512, else its shapes run im2col.</summary>
    private static Convolution.ForwardKernel Expected(Path path) => path switch
    {
        Path.Direct => DirectConvolution.IsSupported ? Convolution.ForwardKernel.Direct : Convolution.ForwardKernel.Im2Col,
        Path.Winograd or Path.WinogradScalarTransforms => Convolution.ForwardKernel.Winograd,
        _ => Convolution.ForwardKernel.Im2Col,
    };

    public static IEnumerable<object[]> Layers()
    {
        // path, N, C, H, W, OC, K, stride, padding, groups, bias; output sizes are multiples of 16
        yield return [Path.Direct, 1, 8, 9, 9, 32, 3, 1, 1, 1, true];      // batch 1 (split per sample, group and chunk), 32-channel chunks
        yield return [Path.Direct, 5, 8, 9, 9, 32, 3, 1, 1, 1, false];     // batch > threads, no bias
        yield return [Path.Direct, 3, 6, 12, 10, 32, 5, 2, 2, 2, true];    // groups 2 (16 channels each), stride 2, 5×5
        yield return [Path.Direct, 1, 96, 10, 10, 48, 5, 1, 2, 1, true];   // NiN-like 5×5 at 10×10, 16-channel chunks
        yield return [Path.Winograd, 1, 16, 12, 12, 32, 3, 1, 1, 1, true];
        yield return [Path.Winograd, 3, 5, 13, 11, 16, 3, 1, 1, 1, true];  // odd plane: clipped edge tiles
        yield return [Path.Winograd, 2, 8, 10, 10, 16, 3, 1, 0, 1, false]; // no padding, no bias
        yield return [Path.WinogradScalarTransforms, 3, 5, 13, 11, 16, 3, 1, 2, 1, true];
        yield return [Path.Im2Col, 1, 16, 8, 8, 32, 1, 1, 0, 1, true];     // 1×1: the input is the column matrix
        yield return [Path.Im2Col, 5, 16, 4, 4, 32, 1, 1, 0, 1, true];     // small plane: several samples per GEMM
        yield return [Path.Im2Col, 4, 6, 10, 10, 24, 3, 3, 1, 3, false];   // groups 3, stride 3, no bias
        yield return [Path.Im2Col, 1, 1, 23, 23, 16, 11, 4, 0, 1, true];   // NiN's 11×11/4 stem shape, batch 1
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void PreparedWeightsAndTheReluInTheStoreGiveTheBitsOfPackingThenRelu(Path path, int n, int c, int h, int w, int oc, int k, int stride, int padding, int groups, bool hasBias)
    {
        var g = new ConvGeometry(n, c, h, w, oc, k, k, stride, padding, groups);
        var (x, weights, bias) = Data(g, seed: (ulong)(n * 131 + c * 7 + k));
        using var context = new ExecutionContext(2, PolicyFor(path));
        using (context.Enter())
        {
            Assert.Equal(Expected(path), Convolution.ForwardKernelFor(g, 2));
            var packed = Forward(x, weights, hasBias ? bias : null, g, prepared: null, relu: false);
            var reference = ReluOf(packed);
            Assert.Contains(packed, v => v < 0); // the ReLU has something to do

            var prepared = PackedWeights.Prepare(weights, 0, g, 2);
            Assert.Equal(Expected(path) == Convolution.ForwardKernel.Direct, prepared.HasDirect);
            Assert.Equal(Expected(path) == Convolution.ForwardKernel.Winograd, prepared.HasWinograd);

            AssertBits(packed, Forward(x, weights, hasBias ? bias : null, g, prepared, relu: false), "prepared weights");
            AssertBits(reference, Forward(x, weights, hasBias ? bias : null, g, prepared: null, relu: true), "ReLU in the store");
            AssertBits(reference, Forward(x, weights, hasBias ? bias : null, g, prepared, relu: true), "prepared weights and ReLU in the store");
        }
    }

    [Theory]
    [InlineData(Path.Direct)]
    [InlineData(Path.Winograd)]
    [InlineData(Path.Im2Col)]
    public void NaNStaysTheSameNaNAndEveryNonPositiveOutputBecomesPositiveZeroAsFReluDoes(Path path)
    {
        var g = new ConvGeometry(2, 16, 12, 12, 32, 3, 3, 1, 1, 1);
        var (x, weights, bias) = Data(g, seed: 5);
        // a NaN input poisons the outputs whose window reads it; one with a payload, to see that the very NaN is kept
        x[3 * 12 + 4] = float.NaN;
        x[g.C * 144 + 5 * 144 + 70] = BitConverter.Int32BitsToSingle(0x7FC0_1234);
        // an output channel of zero weights on negative zeros: its products are −0, its bias −0. A −0 output is not
        // reachable on any path (every kernel's sums start from +0, and +0 + −0 = +0: checked when this test was
        // written), so the stores' −0 rule is that of the max they share with F.Relu (Vector512.Max, Vector.Max, Math.Max)
        var negativeZeros = (float[])x.Clone();
        for (int i = 0; i < negativeZeros.Length; i++) if (!float.IsNaN(negativeZeros[i])) negativeZeros[i] = -0f * Math.Abs(negativeZeros[i]);
        Array.Clear(weights, 7 * g.PatchSize, g.PatchSize);
        bias[7] = -0f;
        using var context = new ExecutionContext(2, PolicyFor(path));
        using (context.Enter())
        {
            Assert.Equal(Expected(path), Convolution.ForwardKernelFor(g, 2));
            var prepared = PackedWeights.Prepare(weights, 0, g, 2);
            foreach (var input in new[] { x, negativeZeros })
            {
                var conv = Forward(input, weights, bias, g, prepared: null, relu: false);
                var reference = ReluOf(conv);
                Assert.Contains(conv, float.IsNaN);
                AssertBits(reference, Forward(input, weights, bias, g, prepared, relu: true), "ReLU in the store");
                // F.Relu's rule, written out: a NaN stays the same NaN, −0 and every negative become +0
                for (int i = 0; i < conv.Length; i++)
                {
                    int expected = float.IsNaN(conv[i]) ? BitConverter.SingleToInt32Bits(conv[i])
                        : conv[i] > 0 ? BitConverter.SingleToInt32Bits(conv[i]) : 0;
                    Assert.Equal(expected, BitConverter.SingleToInt32Bits(reference[i]));
                }
            }
        }
    }

    [Fact]
    public void AForwardWhoseShapeChoosesAnotherKernelMakesThatFormOnceAndGivesTheSameBits()
    {
        // prepared at a shape that runs the direct kernel, then run where Winograd is forced: V is made on first use
        var g = new ConvGeometry(3, 16, 12, 12, 32, 3, 3, 1, 1, 1);
        var (x, weights, bias) = Data(g, seed: 9);
        PackedWeights prepared;
        using (var direct = new ExecutionContext(2, PolicyFor(Path.Direct)))
        using (direct.Enter())
            prepared = PackedWeights.Prepare(weights, 0, g, 2);
        Assert.False(prepared.HasWinograd);
        using var winograd = new ExecutionContext(2, PolicyFor(Path.Winograd));
        using (winograd.Enter())
        {
            var expected = Forward(x, weights, bias, g, prepared: null, relu: true);
            AssertBits(expected, Forward(x, weights, bias, g, prepared, relu: true), "Winograd from a direct-kernel preparation");
            Assert.True(prepared.HasWinograd);
            AssertBits(expected, Forward(x, weights, bias, g, prepared, relu: true), "Winograd from the V made on first use");
        }
    }

    [Fact]
    public void PreparedWeightsOfAnotherShapeAreRefused()
    {
        var g = new ConvGeometry(1, 16, 8, 8, 32, 3, 3, 1, 1, 1);
        var (x, weights, bias) = Data(g, seed: 2);
        var other = g with { OC = 16 };
        var prepared = PackedWeights.Prepare(new float[other.WeightElements], 0, other, 1);
        var e = Assert.Throws<ArgumentException>(() => Forward(x, weights, bias, g, prepared, relu: false));
        Assert.Equal("conv2d: the prepared weights are (16, 16, 3, 3) with groups=1, the convolution's are (32, 16, 3, 3) with groups=1", e.Message);
    }

    private static float[] Forward(float[] x, float[] w, float[]? bias, ConvGeometry g, PackedWeights? prepared, bool relu)
    {
        var y = new float[g.OutputElements];
        Array.Fill(y, float.NaN); // every element must be written
        Convolution.Forward(x, 0, w, 0, bias, 0, y, 0, g, ExecutionContext.Current.Threads, prepared, relu);
        return y;
    }

    /// <summary>The convolution's output through F.Relu's CPU kernel.</summary>
    private static float[] ReluOf(float[] y)
    {
        var r = new float[y.Length];
        Elementwise.Relu(y, r);
        return r;
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]} ({BitConverter.SingleToInt32Bits(actual[i]):X8}), expected {expected[i]} ({BitConverter.SingleToInt32Bits(expected[i]):X8})");
    }

    /// <summary>Inputs and weights uniform in [−1, 1), a bias around −0.2 (so that many outputs are negative).</summary>
    private static (float[] X, float[] W, float[] Bias) Data(ConvGeometry g, ulong seed)
    {
        var rng = new RandomGenerator(seed);
        float U() => 2 * rng.NextFloat() - 1;
        var x = new float[g.InputElements];
        var w = new float[g.WeightElements];
        var b = new float[g.OC];
        for (int i = 0; i < x.Length; i++) x[i] = U();
        for (int i = 0; i < w.Length; i++) w[i] = U();
        for (int i = 0; i < b.Length; i++) b[i] = 0.5f * U() - 0.2f;
        return (x, w, b);
    }
}
