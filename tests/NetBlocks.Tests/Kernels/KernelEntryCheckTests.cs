using NetBlocks.Benchmarking;
using NetBlocks.Kernels;
using NetBlocks.Tests.Cli;

namespace NetBlocks.Tests.Kernels;

/// <summary>
/// Issue #10, item 9: no unsafe kernel is reached with sizes that were not validated. Each family checks, once at its
/// entry, its geometry (in checked 64-bit arithmetic) and that every buffer holds what the geometry asks for.
/// </summary>
public class KernelEntryCheckTests
{
    [Fact]
    public void BenchGemmRefusesASizeWhoseMatrixNoArrayHolds()
    {
        // 65537² wrapped to 131073 in 32-bit arithmetic: tiny arrays, then the unsafe GEMM ran over them (an access violation)
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentException>(() => GemmBenchmark.Run(65537, threads: 1, repetitions: 1, warmup: 0));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "nothing is allocated before the check");
        Assert.Equal("--size 65537 is too large: a 65537×65537 matrix has 4,295,098,369 elements, more than an array holds " +
                     "(2,147,483,591); the largest --size is 46340", e.Message);
    }

    [Theory]
    [InlineData(0, 0, 1, "--size must be at least 1, got 0")]
    [InlineData(8, -1, 1, "--threads must not be negative (0: one per core), got -1")]
    [InlineData(8, 0, 0, "--steps must be at least 1, got 0")]
    public void BenchGemmOptionsAreCheckedBeforeAnythingRuns(int size, int threads, int steps, string message)
        => Assert.Equal(message, Assert.Throws<ArgumentException>(() => GemmBenchmark.Validate(size, threads, steps)).Message);

    [Fact]
    public void BenchGemmOnTheCommandLineExitsWithTheMessage()
    {
        var (code, _, error) = CliRunner.Run("bench", "gemm", "--size", "65537");
        Assert.NotEqual(0, code);
        Assert.Contains("--size 65537 is too large", error);
        Assert.DoesNotContain("   at ", error);
    }

    private static readonly ConvGeometry Conv = new(N: 2, C: 3, H: 5, W: 5, OC: 4, KH: 3, KW: 3, Stride: 1, Padding: 1, Groups: 1);

    [Theory]
    [InlineData("x", "conv2d: x has 149 elements; it needs 150 from offset 0")]
    [InlineData("w", "conv2d: w has 107 elements; it needs 108 from offset 0")]
    [InlineData("bias", "conv2d: bias has 3 elements; it needs 4 from offset 0")]
    [InlineData("y", "conv2d: y has 199 elements; it needs 200 from offset 0")]
    public void ConvolutionRefusesAShortBuffer(string which, string message)
    {
        float[] Buffer(string name, int n) => new float[name == which ? n - 1 : n];
        var e = Assert.Throws<ArgumentException>(() => Convolution.Forward(
            Buffer("x", 150), 0, Buffer("w", 108), 0, Buffer("bias", 4), 0, Buffer("y", 200), 0, Conv));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ConvolutionRefusesAnOffsetPastTheBufferAndBadGeometry()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Convolution.BackwardData(new float[200], 1, new float[108], 0, new float[150], 0, Conv));
        Assert.Equal("conv2d backward (input): dy has 200 elements; it needs 200 from offset 1", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Convolution.BackwardWeight(new float[200], 0, new float[150], -1, new float[108], 0, null, 0, Conv));
        Assert.Equal("conv2d backward (weight): x has 150 elements; it needs 150 from offset -1", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Convolution.Forward(new float[150], 0, new float[108], 0, null, 0, new float[200], 0, Conv with { Groups = 2 }));
        Assert.Equal("conv2d: groups 2 must divide the 3 input and 4 output channels", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Convolution.Forward(new float[150], 0, new float[108], 0, null, 0, new float[200], 0, Conv with { Stride = 0 }));
        Assert.Equal("conv2d: invalid geometry (N=2, C=3, H=5, W=5, OC=4, KH=3, KW=3, stride=0, padding=1, groups=1)", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Convolution.Forward(new float[150], 0, new float[108], 0, null, 0, new float[200], 0, Conv with { N = 65536, H = 65536, W = 65536 }));
        Assert.Equal("conv2d: input (65536, 3, 65536, 65536) has 844,424,930,131,968 elements, more than a tensor holds (2,147,483,591)", e.Message);
    }

    [Fact]
    public void PoolingRefusesGeometryThatWouldDivideByZeroOrReadOutsideTheInput()
    {
        var x = new float[2 * 4 * 4];
        var y = new float[2 * 2 * 2];
        var e = Assert.Throws<ArgumentException>(() => Pooling.MaxForward(x, y, new PoolGeometry(2, 4, 4, Kernel: 2, Stride: 0, Padding: 0)));
        Assert.Equal("max_pool2d: invalid geometry (planes=2, H=4, W=4, kernel=2, stride=0, padding=0; padding at most half the kernel)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pooling.MaxForward(x, y, new PoolGeometry(-2, 4, 4, 2, 2, 0)));
        Assert.StartsWith("max_pool2d: invalid geometry (planes=-2,", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pooling.MaxForward(x, y, new PoolGeometry(2, 4, 4, 2, 2, Padding: 2)));
        Assert.StartsWith("max_pool2d: invalid geometry", e.Message);
        e = Assert.Throws<ArgumentException>(() => Pooling.MaxForward(x, y, new PoolGeometry(2, 1, 1, Kernel: 5, Stride: 1, Padding: 1)));
        Assert.Equal("max_pool2d: input 1×1 padded by 1 is smaller than the 5×5 window", e.Message);
    }

    [Fact]
    public void MaxPoolBackwardRefusesAnArgmaxOutsideItsPlane()
    {
        var g = new PoolGeometry(2, 4, 4, 2, 2, 0);
        var dy = new float[8];
        var argmax = new int[8];
        argmax[3] = 16; // one past plane 0: the unchecked kernel wrote into plane 1
        var dx = new float[32];
        var e = Assert.Throws<ArgumentException>(() => Pooling.MaxBackward(dy, argmax, dx, g));
        Assert.Equal("max_pool2d backward: argmax[3] = 16 is outside its 4×4 plane", e.Message);
    }

    [Fact]
    public void BatchNormRefusesPerChannelBuffersShorterThanTheChannels()
    {
        var x = new float[2 * 4 * 3];
        var y = new float[x.Length];
        var e = Assert.Throws<ArgumentException>(() => BatchNorm.Normalize(x, 2, 4, 3, new float[1], new float[4], [], [], y));
        Assert.Equal("batch_norm: mean has 1 values for 4 channels", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNorm.Normalize(x, 2, 4, 3, new float[4], new float[4], new float[2], [], y));
        Assert.Equal("batch_norm: gamma has 2 values for 4 channels (give C values or none)", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNorm.Statistics(x, 2, 4, 3, new double[4], new double[3]));
        Assert.Equal("batch_norm: variance has 3 values for 4 channels", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNorm.Backward(x, x, 2, 4, 3, new float[4], new float[4], [], true, new float[5], new float[4], new float[4]));
        Assert.Equal("batch_norm: 5 elements for (N=2, C=4, S=3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNorm.Statistics([], -1, -4, 0, [], []));
        Assert.Equal("batch_norm: 0 elements for (N=-1, C=-4, S=0)", e.Message);
    }

    [Fact]
    public void Im2ColChecksItsBuffersAndGeometry()
    {
        // 2 channels of 4×4, 3×3 kernel, padding 1: cols is (2·9) × 16
        var e = Assert.Throws<ArgumentException>(() => Im2Col.Unfold(new float[32], 2, 4, 4, 3, 3, 1, 1, 4, 4, new float[18 * 16 - 1]));
        Assert.Equal("im2col: cols has 287 elements; it needs 288 from offset 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => Im2Col.FoldAdd(new float[18 * 16], 2, 4, 4, 3, 3, 1, 1, 4, 4, new float[31]));
        Assert.Equal("col2im: image has 31 elements; it needs 32 from offset 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => Im2Col.Unfold(new float[32], 2, 4, 4, 3, 3, 0, 1, 4, 4, new float[18 * 16]));
        Assert.Equal("im2col: invalid geometry (C=2, H=4, W=4, KH=3, KW=3, stride=0, padding=1, output 4×4)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Im2Col.Unfold(new float[32], 2, 4, 4, 3, 3, 1, 1, 4, 4, new float[18 * 16], ld: 15));
        Assert.Equal("im2col: rows of cols 15 apart overlap the 4×4 output plane", e.Message);
    }

    [Fact]
    public void TheEntryChecksAllocateNothing()
    {
        // messages are formatted only on failure: a kernel call in a training step stays allocation-free
        var x = new float[150]; var w = new float[108]; var b = new float[4]; var y = new float[200];
        var px = new float[32]; var py = new float[8];
        var cols = new float[18 * 16];
        var mean = new float[4]; var bx = new float[24]; var by = new float[24];
        var ga = new float[8 * 8]; var gb = new float[8 * 8]; var gc = new float[8 * 8];
        void Calls()
        {
            Convolution.Forward(x, 0, w, 0, b, 0, y, 0, Conv, threads: 1);
            Pooling.MaxForward(px, py, new PoolGeometry(2, 4, 4, 2, 2, 0), threads: 1);
            BatchNorm.Normalize(bx, 2, 4, 3, mean, mean, mean, mean, by, relu: false, threads: 1);
            Im2Col.Unfold(px, 2, 4, 4, 3, 3, 1, 1, 4, 4, cols);
            Gemm.Sgemm(GemmPath.Scalar, 1, false, false, 8, 8, 8, 1f, ga, 8, gb, 8, 0f, gc, 8);
        }
        Calls(); // first use sizes the thread's scratch buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        Calls();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
