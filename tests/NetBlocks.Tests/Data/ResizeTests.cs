using NetBlocks.Data;
using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Data;

/// <summary>Both resize paths against torchvision 0.14 / Pillow 9.4 / PyTorch 1.13 (tools/make_data_fixtures.py).</summary>
public sealed class ResizeTests
{
    private static readonly OpFixture Pil = OpFixture.Load("data/resize_pil");
    private static readonly OpFixture Torch = OpFixture.Load("data/resize_tensor");

    public static TheoryData<string> PilCases() => new(Pil.Names.Where(n => n.StartsWith("out_", StringComparison.Ordinal)));
    public static TheoryData<string> TensorCases() => new(Torch.Names.Where(n => n.StartsWith("out_", StringComparison.Ordinal)));

    private static byte[] Bytes(OpFixture f, string name) => f.Array(name).Select(v => checked((byte)v)).ToArray();

    [Fact]
    public void Fixtures_CoverTheD2lSizes()
    {
        foreach (var n in new[] { "out_56x56", "out_96x96", "out_224x224" })
        {
            Assert.True(Pil.Has(n), n);
            Assert.True(Torch.Has(n), n);
        }
    }

    [Theory]
    [MemberData(nameof(PilCases))]
    public void PilPath_IsBitExact(string name)
    {
        var input = Bytes(Pil, "input");
        var expected = Bytes(Pil, name);
        int[] shape = Pil.Shape(name);
        int n = shape[0], oh = shape[1], ow = shape[2];
        var plan = new PilResize(28, 28, oh, ow);
        var pipeline = ImageTransform.Resize(0).Compile(28, 28);
        var scratch = new byte[plan.ScratchSize];
        for (int i = 0; i < n; i++)
        {
            var src = input.AsSpan(i * 784, 784);
            var want = expected.AsSpan(i * oh * ow, oh * ow);
            var got = new byte[oh * ow];
            plan.Apply(src, got);
            Assert.True(want.SequenceEqual(got), $"{name} image {i}: first difference at {want.CommonPrefixLength(got)}");

            // The fused float path gives exactly ToTensor(Resize(img)) = byte / 255.
            var f = new float[oh * ow];
            plan.Apply(src, f, scratch, PilResize.ToTensorTable());
            for (int j = 0; j < f.Length; j++)
                if (f[j] != want[j] / 255f) Assert.Fail($"{name} image {i} pixel {j}: {f[j]} != {want[j]}/255");
            var scalar = new float[oh * ow];
            plan.Apply(src, scalar, scratch, PilResize.ToTensorTable(), simd: false);
            Assert.Equal(f, scalar);

            var t = new ImageTransform { Height = oh, Width = ow }.Compile(28, 28);
            var g = new float[oh * ow];
            t.Apply(src, g, new ImagePipeline.Scratch());
            Assert.Equal(f, g);
        }
        Assert.Equal(28, pipeline.OutHeight);
    }

    [Theory]
    [MemberData(nameof(TensorCases))]
    public void TensorPath_MatchesTorchInterpolate(string name) // within 1 ulp in practice; the spec asks 1e-5
    {
        var input = Torch.Array("input");
        var expected = Torch.Array(name);
        int[] shape = Torch.Shape(name);
        int n = shape[0], oh = shape[1], ow = shape[2];
        var plan = new BilinearResize(28, 28, oh, ow);
        var t = new ImageTransform { Height = oh, Width = ow, Mode = ResizeMode.Bilinear }.Compile(28, 28);
        var pilInput = Bytes(Pil, "input");
        for (int i = 0; i < n; i++)
        {
            var got = new float[oh * ow];
            plan.Apply(input.AsSpan(i * 784, 784), got);
            OpFixture.AssertClose(expected.AsSpan(i * oh * ow, oh * ow).ToArray(), got, rtol: 0, atol: 1e-6, what: $"{name} image {i}");

            // Through the transform, from the bytes (the fixture's input is the same images / 255).
            var viaBytes = new float[oh * ow];
            t.Apply(pilInput.AsSpan(i * 784, 784), viaBytes, new ImagePipeline.Scratch());
            OpFixture.AssertClose(expected.AsSpan(i * oh * ow, oh * ow).ToArray(), viaBytes, rtol: 0, atol: 1e-6, what: $"{name} image {i} (bytes)");
        }
    }

    [Fact]
    public void SimdAndScalarFloatPaths_AgreeBitForBit_AtEveryWidthRemainder()
    {
        var rng = new NetBlocks.Tensors.RandomGenerator(11);
        var src = new byte[17 * 13];
        for (int i = 0; i < src.Length; i++) src[i] = (byte)rng.NextInt(256);
        var table = PilResize.ToTensorTable(0.286f, 0.353f);
        for (int ow = 1; ow <= 40; ow++)
            foreach (int oh in new[] { 5, 17, 31 })
            {
                var plan = new PilResize(17, 13, oh, ow);
                var scratch = new byte[plan.ScratchSize];
                var a = new float[oh * ow];
                var b = new float[oh * ow];
                plan.Apply(src, a, scratch, table);
                plan.Apply(src, b, scratch, table, simd: false);
                Assert.True(a.AsSpan().SequenceEqual(b), $"{oh}x{ow}");
                var bytes = new byte[oh * ow];
                plan.Apply(src, bytes);
                for (int j = 0; j < bytes.Length; j++) Assert.Equal((bytes[j] / 255f - 0.286f) / 0.353f, b[j]);
            }
    }

    [Fact]
    public void SameSize_IsIdentity()
    {
        var src = Enumerable.Range(0, 35).Select(i => (byte)(i * 7)).ToArray();
        var dst = new byte[35];
        new PilResize(5, 7, 5, 7).Apply(src, dst);
        Assert.Equal(src, dst);
        var f = src.Select(v => v / 255f).ToArray();
        var g = new float[35];
        new BilinearResize(5, 7, 5, 7).Apply(f, g);
        Assert.Equal(f, g);
    }

    [Fact]
    public void ConstantImage_StaysConstant_AtAnySize()
    {
        var src = Enumerable.Repeat((byte)173, 28 * 28).ToArray();
        foreach (var (h, w) in new[] { (1, 1), (3, 100), (224, 224), (13, 57), (300, 2) })
        {
            var dst = new byte[h * w];
            new PilResize(28, 28, h, w).Apply(src, dst);
            Assert.All(dst, v => Assert.Equal(173, v));
        }
    }

    [Fact]
    public void Normalisation_IsSubtractThenDivide_AfterScaling()
    {
        var src = Enumerable.Range(0, 784).Select(i => (byte)i).ToArray();
        var t = new ImageTransform { Mean = 0.2860f, Std = 0.3530f }.Compile(28, 28);
        var dst = new float[784];
        t.Apply(src, dst, new ImagePipeline.Scratch());
        for (int i = 0; i < 784; i++) Assert.Equal((src[i] / 255f - 0.2860f) / 0.3530f, dst[i]);
    }

    [Fact]
    public void CropFlip_ShiftsWithZeroPadding_ThenMirrors()
    {
        // 3×4 image with values 1..12.
        var src = Enumerable.Range(1, 12).Select(i => (byte)i).ToArray();
        var dst = new byte[12];
        ImagePipeline.CropFlip(src, dst, 3, 4, dy: 1, dx: -1, flip: false);
        Assert.Equal(new byte[] { 0, 5, 6, 7, 0, 9, 10, 11, 0, 0, 0, 0 }, dst);
        ImagePipeline.CropFlip(src, dst, 3, 4, dy: 0, dx: 0, flip: true);
        Assert.Equal(new byte[] { 4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9 }, dst);
        ImagePipeline.CropFlip(src, dst, 3, 4, dy: -1, dx: 1, flip: true);  // crop then flip
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 4, 3, 2, 0, 8, 7, 6 }, dst);
    }

    [Fact]
    public void Augmentation_DrawsWithinThePaddingAndFlipsAboutHalfTheTime()
    {
        var p = new ImageTransform { CropPadding = 2, HorizontalFlip = true }.Compile(28, 28);
        var rng = new NetBlocks.Tensors.RandomGenerator(7);
        int flips = 0;
        var tops = new HashSet<int>();
        for (int i = 0; i < 1000; i++)
        {
            var a = p.Draw(rng);
            Assert.InRange(a.Top, 0, 4);
            Assert.InRange(a.Left, 0, 4);
            tops.Add(a.Top);
            flips += a.Flip ? 1 : 0;
        }
        Assert.Equal(5, tops.Count);
        Assert.InRange(flips, 430, 570);
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new PilResize(28, 28, 0, 5));
        Assert.Throws<ArgumentException>(() => new ImageTransform { Mean = 0.5f }.Compile(28, 28));
        Assert.Throws<ArgumentException>(() => new ImageTransform { Mean = 0.5f, Std = 0f }.Compile(28, 28));
        Assert.Throws<ArgumentException>(() => new PilResize(2, 2, 4, 4).Apply(new byte[3], new byte[16]));
    }
}
