using System.Runtime.Intrinsics.X86;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Kernels;

/// <summary>
/// Winograd F(2×2, 3×3) through <see cref="Convolution"/>'s dispatch, forced on, against the double-precision seven-loop
/// twin: forward and input gradient over channel counts with remainders, odd planes, paddings 0–2, batch sizes, block
/// sizes and thread counts; the portable transforms against the AVX-512 ones; the policy switch and the rule.
/// <para>
/// Tolerance: Winograd's transforms add and subtract up to nine inputs (and, in the output transform, nine products)
/// before and after the products, so its rounding differs from a direct sum's. Measured on inputs and weights uniform in
/// [−1, 1), as max |error| / (1 + |expected|) against the twin: 0.4–6.1e-6 over the shapes below (3–48 channels), 1.4e-5
/// for 128→128 at 12×12 and 2.1e-5 for 256→384 at 4×4; the direct and im2col paths measured 0.2–6.7e-6, 2.6e-5 and
/// 2.5e-5 on the same data (at these sizes the float32 sums over the channels dominate, not the transforms). The tests
/// allow <see cref="Tolerance"/> = 5e-5, eight times the largest error measured on their shapes.
/// </para>
/// </summary>
public class WinogradTests
{
    /// <summary>|expected − actual| ≤ Tolerance · (1 + |expected|) element by element.</summary>
    internal const double Tolerance = 5e-5;

    public static IEnumerable<object[]> Geometries()
    {
        // N, C, H, W, OC, padding
        yield return [2, 16, 7, 9, 16, 1];     // odd plane: a clipped last tile column and row
        yield return [3, 17, 8, 8, 33, 1];     // channel counts with remainders
        yield return [2, 5, 9, 7, 3, 0];       // few channels, no padding
        yield return [1, 32, 5, 5, 16, 0];     // 3×3 output
        yield return [2, 24, 12, 12, 40, 1];
        yield return [1, 8, 3, 3, 8, 1];       // 3×3 plane
        yield return [2, 16, 40, 37, 16, 1];   // 19 tiles per row: a full and a partial 16-tile group
        yield return [2, 8, 6, 6, 8, 2];       // padding 2 (its input gradient has padding 0)
        yield return [1, 3, 1, 1, 4, 1];       // 1×1 plane
        yield return [2, 16, 3, 70, 16, 0];    // one output row, 34 tiles per row: three groups
        yield return [4, 48, 6, 6, 48, 1];     // VGG-like small plane, several samples per block
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardAndInputGradientMatchTheTwin(int n, int c, int h, int w, int oc, int p)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, 3, 3, 1, p, 1);
        var (x, wt, bias, dy) = Data(geo, 31);
        var (yRef, dxRef, _, _) = ConvolutionTwin.Run(x, wt, bias, dy, geo);
        using var context = new ExecutionContext(2, new KernelPolicy { Winograd = true });
        using (context.Enter())
        {
            Assert.True(Convolution.UsesWinogradForward(geo, 2));
            Assert.True(Convolution.UsesWinogradBackwardData(geo, 2));
            var y = new float[dy.Length];
            Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo);
            AssertWithin(yRef, y, "forward");
            var dx = new float[x.Length];
            Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo);
            AssertWithin(dxRef, dx, "input gradient");

            // offsets into larger arrays, and no bias
            var (yRef0, _, _, _) = ConvolutionTwin.Run(x, wt, new float[oc], dy, geo);
            var xo = new float[x.Length + 5]; x.CopyTo(xo, 5);
            var wo = new float[wt.Length + 2]; wt.CopyTo(wo, 2);
            var yo = new float[y.Length + 3];
            Convolution.Forward(xo, 5, wo, 2, null, 0, yo, 3, geo);
            AssertWithin(yRef0, yo[3..], "forward, offsets, no bias");
            Assert.Equal(0f, yo[0]);
            var dyo = new float[dy.Length + 7]; dy.CopyTo(dyo, 7);
            var dxo = new float[x.Length + 1];
            Convolution.BackwardData(dyo, 7, wo, 2, dxo, 1, geo);
            AssertWithin(dxRef, dxo[1..], "input gradient, offsets");
        }
    }

    /// <summary>
    /// Work items of one tile row, of rows crossing sample boundaries, and of the whole batch, on 1, 2 and 3 threads:
    /// within tolerance of the twin, and for a given block size the same bits for every thread count, run after run.
    /// </summary>
    [Theory]
    [InlineData(5, 16, 10, 10, 32, 1)]
    [InlineData(3, 24, 9, 13, 16, 0)]
    [InlineData(1, 16, 14, 11, 16, 1)]    // one sample: the work items are its tile rows
    [InlineData(7, 32, 4, 4, 32, 1)]      // NiN-like 4×4: two tile rows per sample
    public void EveryThreadCountAndBlockSizeMatchesTheTwinAndRepeatsExactly(int n, int c, int h, int w, int oc, int p)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, 3, 3, 1, p, 1);
        var (x, wt, bias, dy) = Data(geo, 32);
        var (yRef, dxRef, _, _) = ConvolutionTwin.Run(x, wt, bias, dy, geo);
        long tileRowBytes = 64L * (c + oc) * ((geo.OW + 1) / 2);
        foreach (int budget in new[] { 4, (int)(3 * tileRowBytes), 1 << 30 })
        {
            float[]? y1 = null, dx1 = null;
            foreach (int threads in new[] { 1, 2, 3, 1, 2, 3 })
            {
                using var context = new ExecutionContext(threads, new KernelPolicy { Winograd = true, WinogradBlockBytes = budget });
                using var inForce = context.Enter();
                var y = new float[dy.Length]; var dx = new float[x.Length];
                Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo, threads);
                Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo, threads);
                if (y1 is null)
                {
                    AssertWithin(yRef, y, $"forward, budget {budget}");
                    AssertWithin(dxRef, dx, $"input gradient, budget {budget}");
                    y1 = y; dx1 = dx;
                }
                else
                {
                    Assert.Equal(y1, y);
                    Assert.Equal(dx1, dx);
                }
            }
        }
    }

    /// <summary>The portable transforms (lane by lane) give the AVX-512 ones' bits.</summary>
    [Theory]
    [InlineData(2, 16, 7, 9, 16, 1)]
    [InlineData(2, 16, 40, 37, 24, 0)]
    [InlineData(3, 8, 6, 6, 8, 2)]
    public void PortableTransformsGiveTheSameBits(int n, int c, int h, int w, int oc, int p)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, 3, 3, 1, p, 1);
        var (x, wt, bias, dy) = Data(geo, 33);
        (float[] y, float[] dx) Run(bool scalar)
        {
            using var context = new ExecutionContext(2, new KernelPolicy { Winograd = true, WinogradScalarTransforms = scalar });
            using var inForce = context.Enter();
            var y = new float[dy.Length]; var dx = new float[x.Length];
            Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo);
            Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo);
            return (y, dx);
        }
        var (yRef, dxRef, _, _) = ConvolutionTwin.Run(x, wt, bias, dy, geo);
        var scalar = Run(true);
        AssertWithin(yRef, scalar.y, "forward, portable transforms");
        AssertWithin(dxRef, scalar.dx, "input gradient, portable transforms");
        var vector = Run(false);
        Assert.Equal(scalar.y, vector.y);
        Assert.Equal(scalar.dx, vector.dx);
    }

    /// <summary>Shapes Winograd does not take run another path even when it is forced on, and still match the twin.</summary>
    [Theory]
    [InlineData(2, 16, 8, 8, 16, 3, 2, 1, 1)]    // stride 2
    [InlineData(2, 32, 8, 8, 32, 3, 1, 1, 2)]    // grouped
    [InlineData(2, 16, 10, 10, 16, 5, 1, 2, 1)]  // 5×5
    [InlineData(2, 16, 6, 6, 16, 1, 1, 0, 1)]    // 1×1
    [InlineData(2, 16, 8, 8, 16, 3, 1, 3, 1)]    // padding 3
    public void IneligibleShapesTakeAnotherPath(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        var (x, wt, bias, dy) = Data(geo, 34);
        var (yRef, dxRef, _, _) = ConvolutionTwin.Run(x, wt, bias, dy, geo);
        using var context = new ExecutionContext(2, new KernelPolicy { Winograd = true });
        using (context.Enter())
        {
            Assert.False(Convolution.UsesWinogradForward(geo, 2));
            Assert.False(Convolution.UsesWinogradBackwardData(geo, 2));
            var y = new float[dy.Length];
            Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo);
            ConvolutionTwin.AssertClose(yRef, y, "forward");
            var dx = new float[x.Length];
            Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo);
            ConvolutionTwin.AssertClose(dxRef, dx, "input gradient");
        }
    }

    /// <summary>
    /// The switch: false never takes Winograd (and the result is the direct or im2col path's, not Winograd's bits), true
    /// takes it where it applies even against the rule (one input channel).
    /// </summary>
    [Fact]
    public void PolicySwitchForcesEitherPath()
    {
        var small = new ConvGeometry(2, 1, 12, 12, 16, 3, 3, 1, 1, 1);   // one input channel: the rule says no
        var vgg = new ConvGeometry(4, 64, 12, 12, 64, 3, 3, 1, 1, 1);    // the rule says yes (on AVX-512)
        using (var on = new ExecutionContext(2, new KernelPolicy { Winograd = true }))
        using (on.Enter())
        {
            Assert.True(Convolution.UsesWinogradForward(small, 2));
            Assert.True(Convolution.UsesWinogradBackwardData(small, 2));
        }
        using (var off = new ExecutionContext(2, new KernelPolicy { Winograd = false }))
        using (off.Enter())
        {
            Assert.False(Convolution.UsesWinogradForward(vgg, 2));
            Assert.False(Convolution.UsesWinogradBackwardData(vgg, 2));
        }

        var (x, wt, bias, dy) = Data(vgg, 35);
        var (yRef, _, _, _) = ConvolutionTwin.Run(x, wt, bias, dy, vgg);
        float[] Forward(bool? winograd)
        {
            using var context = new ExecutionContext(2, new KernelPolicy { Winograd = winograd });
            using var inForce = context.Enter();
            var y = new float[dy.Length];
            Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, vgg);
            return y;
        }
        var winogradY = Forward(true);
        var otherY = Forward(false);
        AssertWithin(yRef, winogradY, "forward, Winograd forced on");
        ConvolutionTwin.AssertClose(yRef, otherY, "forward, Winograd forced off");
        Assert.NotEqual(winogradY, otherY); // two different summations: the switch did change the path
    }

    /// <summary>
    /// The rule (on AVX-512): at least 32 channels in and out and a plane of at least 12×12 (vgg11/4 at 96: 32→64 @24,
    /// 64→64 @24, 64→128 @12 and 128→128 @12, both ways); not its first layer (one input channel), nor 16 channels, nor
    /// 8×8, 7×7 or 6×6 planes, nor NiN's 256→384 at 4×4 (all measured slower than the direct kernel, or within noise);
    /// grouped, strided, 1×1 and 5×5 never; nothing while the direct or im2col path is forced; nothing without AVX-512.
    /// </summary>
    [Theory]
    [InlineData(128, 64, 24, 24, 64, 3, 1, 1, 1, true, true)]      // vgg11/4 @96: 64→64 at 24×24
    [InlineData(128, 32, 24, 24, 64, 3, 1, 1, 1, true, true)]      // 32→64 at 24×24 (its input gradient 64→32)
    [InlineData(128, 64, 12, 12, 128, 3, 1, 1, 1, true, true)]     // 64→128 at 12×12
    [InlineData(128, 128, 12, 12, 128, 3, 1, 1, 1, true, true)]    // 128→128 at 12×12
    [InlineData(1, 128, 24, 24, 128, 3, 1, 1, 1, true, true)]      // one sample: the work items are blocks of its tiles
    [InlineData(128, 64, 24, 24, 16, 3, 1, 1, 1, false, false)]    // 16 outputs (its input gradient: 16 inputs)
    [InlineData(128, 16, 48, 48, 32, 3, 1, 1, 1, false, false)]    // 16→32 at 48×48
    [InlineData(128, 128, 6, 6, 128, 3, 1, 1, 1, false, false)]    // 128→128 at 6×6
    [InlineData(128, 64, 8, 8, 64, 3, 1, 1, 1, false, false)]      // 8×8
    [InlineData(128, 1, 96, 96, 16, 3, 1, 1, 1, false, false)]     // VGG's first layer: one input channel
    [InlineData(128, 256, 4, 4, 384, 3, 1, 1, 1, false, false)]    // NiN's 256→384 at 4×4
    [InlineData(128, 80, 12, 12, 80, 3, 1, 1, 5, false, false)]    // RegNet: grouped
    [InlineData(128, 64, 48, 48, 64, 3, 2, 1, 2, false, false)]    // RegNet: strided, grouped
    [InlineData(128, 1, 32, 32, 32, 3, 2, 1, 1, false, false)]     // regnetx32's stem: stride 2
    [InlineData(128, 64, 24, 24, 64, 1, 1, 0, 1, false, false)]    // 1×1
    [InlineData(128, 96, 12, 12, 256, 5, 1, 2, 1, false, false)]   // 5×5
    public void DispatchRule(int n, int c, int h, int w, int oc, int k, int s, int p, int g, bool forward, bool backward)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        using (var context = new ExecutionContext(2, KernelPolicy.Default))
        using (context.Enter())
        {
            Assert.Equal(forward && Avx512F.IsSupported, Convolution.UsesWinogradForward(geo, 2));
            Assert.Equal(backward && Avx512F.IsSupported, Convolution.UsesWinogradBackwardData(geo, 2));
        }
        foreach (bool direct in new[] { true, false })
        {
            using var context = new ExecutionContext(2, new KernelPolicy { DirectConvolution = direct });
            using var inForce = context.Enter();
            Assert.False(Convolution.UsesWinogradForward(geo, 2));
            Assert.False(Convolution.UsesWinogradBackwardData(geo, 2));
        }
    }

    /// <summary>The PyTorch 1.13 fixture of a 3×3 stride-1 padding-1 convolution (forward and every gradient) with Winograd forced on, at the fixture tests' own tolerance.</summary>
    [Fact]
    public void TheTorchFixtureMatchesWithWinogradForcedOn()
    {
        using var context = new ExecutionContext(2, new KernelPolicy { Winograd = true });
        using var inForce = context.Enter();
        var geo = new ConvGeometry(2, 3, 7, 6, 4, 3, 3, 1, 1, 1); // the fixture's shapes
        Assert.True(Convolution.UsesWinogradForward(geo, 2));
        Assert.True(Convolution.UsesWinogradBackwardData(geo, 2));
        TorchCheck.Op("conv2d_k3_s1_p1",
            (f, t) => NetBlocks.Functional.F.Conv2d(t[0], t[1], t[2], f.MetaInt("stride"), f.MetaInt("padding"), f.MetaInt("groups")),
            "input", "param.weight", "param.bias");
    }

    /// <summary>
    /// Which layers of the zoo's networks the rule gives Winograd (batch 128, 2 threads): vgg11/4 at 96 its 32→64 and
    /// 64→64 @24, 64→128 and 128→128 @12 layers, forward and input gradient, at 32 none; none of NiN's; none of
    /// regnetx32's at 32 (the README's main job: its model file stays the same) or at 96 (grouped 3×3 layers and a strided
    /// stem).
    /// </summary>
    [Theory]
    [InlineData("vgg11/4", 96, "32→64@24 64→64@24 64→128@12 128→128@12", "32→64@24 64→64@24 64→128@12 128→128@12")]
    [InlineData("vgg11/4", 32, "", "")]
    [InlineData("nin", 96, "", "")]
    [InlineData("regnetx32", 32, "", "")]
    [InlineData("regnetx32", 96, "", "")]
    public void TheRuleOnTheZoosNetworks(string model, int size, string forward, string inputGradient)
    {
        var net = NetBlocks.Models.ModelZoo.Create(model, new NetBlocks.Models.ModelOptions(1, 10));
        var trace = NetBlocks.Analysis.ShapeTrace.Run(net, [128, 1, size, size]);
        List<string> forwards = [], backwards = [];
        using var context = new ExecutionContext(2, KernelPolicy.Default);
        using (context.Enter())
        {
            foreach (var call in trace.Calls)
            {
                if (call.Module is not NetBlocks.Nn.Conv2d conv) continue;
                var geo = new ConvGeometry(call.Input[0], call.Input[1], call.Input[2], call.Input[3], conv.OutChannels,
                    conv.KernelSize, conv.KernelSize, conv.Stride, conv.Padding, conv.Groups);
                if (Convolution.UsesWinogradForward(geo, 2)) forwards.Add($"{geo.C}→{geo.OC}@{geo.H}");
                if (Convolution.UsesWinogradBackwardData(geo, 2)) backwards.Add($"{geo.C}→{geo.OC}@{geo.H}");
            }
        }
        Assert.Equal(Avx512F.IsSupported ? forward : "", string.Join(" ", forwards));
        Assert.Equal(Avx512F.IsSupported ? inputGradient : "", string.Join(" ", backwards));
    }

    /// <summary>|expected − actual| ≤ <see cref="Tolerance"/> · (1 + |expected|), naming the first element that is not.</summary>
    internal static void AssertWithin(float[] expected, float[] actual, string what)
        => ConvolutionTwin.AssertClose(expected, actual, what, Tolerance, Tolerance);

    private static (float[] x, float[] w, float[] bias, float[] dy) Data(ConvGeometry g, ulong seed)
    {
        var rng = new RandomGenerator(seed);
        float[] Rand(int len) { var a = new float[len]; for (int i = 0; i < len; i++) a[i] = rng.NextFloat() * 2 - 1; return a; }
        return (Rand(g.N * g.C * g.H * g.W), Rand(g.OC * g.PatchSize), Rand(g.OC), Rand(g.N * g.OC * g.OH * g.OW));
    }
}
