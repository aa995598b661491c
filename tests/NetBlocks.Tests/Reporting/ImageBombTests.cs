using System.Text;
using NetBlocks.Reporting.Images;
using static NetBlocks.Tests.Reporting.PngTestFiles;

namespace NetBlocks.Tests.Reporting;

/// <summary>
/// Issue #10, item 10: an image decoder checks what the file can justify (the declared size against what the caller
/// accepts, and against what the compressed data can inflate to) before it allocates. A 1 MB PNG declaring 32000×32000
/// used to cost 3 GB and 20 s before "expected 28×28".
/// </summary>
public class ImageBombTests
{
    private static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>A 4000×4000 gray PNG (16 MB of pixels declared) whose IDAT is a few dozen bytes.</summary>
    private static readonly byte[] HugeDeclaredPng = Build(4000, 4000, 8, 0, new byte[10]);

    [Fact]
    public void APngOfAnotherSizeThanExpectedIsRefusedFromItsHeader()
    {
        InvalidDataException? e = null;
        long allocated = Allocated(() => e = Assert.Throws<InvalidDataException>(() => Png.Decode(HugeDeclaredPng, "big.png", expected: (28, 28))));
        Assert.Equal("big.png: expected a 28×28 image, its header says 4000×4000", e!.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated before the refusal");
    }

    [Fact]
    public void APngDeclaringMoreThanItsDataCanInflateToIsRefusedBeforeTheBufferIsAllocated()
    {
        InvalidDataException? e = null;
        long allocated = Allocated(() => e = Assert.Throws<InvalidDataException>(() => Png.Decode(HugeDeclaredPng, "big.png")));
        Assert.StartsWith("big.png: image data is truncated: 4000x4000 needs 16004000 bytes after decompression, but the ", e!.Message);
        Assert.EndsWith("(deflate's limit is 1032:1)", e.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated before the refusal");
    }

    [Fact]
    public void AnImageOfTheExpectedSizeDecodes()
    {
        var png = Build(28, 28, 8, 0, new byte[29 * 28]);
        Assert.Equal(28 * 28, ImageFile.DecodeGray(png, "ok.png", expected: (28, 28)).Pixels.Length);
        var pgm = Encoding.ASCII.GetBytes("P5\n28 28\n255\n").Concat(new byte[28 * 28]).ToArray();
        Assert.Equal(28 * 28, ImageFile.DecodeGray(pgm, "ok.pgm", expected: (28, 28)).Pixels.Length);
    }

    [Fact]
    public void APgmOfAnotherSizeThanExpectedIsRefusedFromItsHeader()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.DecodeGray(Encoding.ASCII.GetBytes("P5\n4000 4000\n255\n\u0001"), "big.pgm", expected: (28, 28)));
        Assert.Equal("big.pgm: expected a 28×28 image, its header says 4000×4000", e.Message);
    }

    [Theory]
    [InlineData("P5\n4000 4000\n255\n\u0001\u0002\u0003", "big.pgm: truncated pixel data: 4000x4000 with maxval 255 needs 16000000 bytes, the file has 3")]
    [InlineData("P2\n4000 4000\n255\n1 2 3", "big.pgm: truncated pixel data: 4000x4000 samples need at least 16000000 bytes (a digit each), the file has 6")]
    public void APgmDeclaringMoreSamplesThanItsBytesIsRefusedBeforeThePixelsAreAllocated(string content, string message)
    {
        InvalidDataException? e = null;
        long allocated = Allocated(() => e = Assert.Throws<InvalidDataException>(() => Pgm.Decode(Encoding.ASCII.GetBytes(content), "big.pgm")));
        Assert.Equal(message, e!.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated before the refusal");
    }
}
