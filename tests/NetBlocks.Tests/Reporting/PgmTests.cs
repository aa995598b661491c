using System.Text;
using NetBlocks.Reporting.Images;

namespace NetBlocks.Tests.Reporting;

public sealed class PgmTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("netblocks-images-");
    public void Dispose() => _dir.Delete(recursive: true);

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void BinaryP5WithCommentsIsRead()
    {
        byte[] file = [.. Ascii("P5\n# made by hand\n3 2\n# max\n255\n"), 0, 10, 255, 32, 9, 13];   // 32, 9, 13 are whitespace bytes as pixel values
        var (w, h, pixels) = Pgm.Decode(file, "a.pgm");
        Assert.Equal((3, 2), (w, h));
        Assert.Equal(new byte[] { 0, 10, 255, 32, 9, 13 }, pixels);
    }

    [Fact]
    public void SixteenBitP5IsBigEndianAndScaledTo8Bits()
    {
        byte[] file = [.. Ascii("P5 3 1 65535 "), 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x80];
        Assert.Equal(new byte[] { 255, 128, 0 }, Pgm.Decode(file, "b.pgm").Pixels);   // round(v * 255 / 65535)
    }

    [Fact]
    public void AsciiP2WithASmallMaxvalIsScaled()
    {
        var file = Ascii("P2\n# 4 levels\n4 1\n3\n0 1\n2 3\n");
        var (w, h, pixels) = Pgm.Decode(file, "c.pgm");
        Assert.Equal((4, 1), (w, h));
        Assert.Equal(new byte[] { 0, 85, 170, 255 }, pixels);
    }

    [Theory]
    [InlineData("P5\n2 2\n255\n\u0001\u0002\u0003", "truncated pixel data", "needs 4 bytes, the file has 3")]
    [InlineData("P2\n2 2\n255\n1 2 3", "truncated pixel data: found 3 of 4 samples")]
    [InlineData("P5\n2 2\n", "truncated header: no maxval")]
    [InlineData("P5\n2 2\n0\n", "maxval 0 is out of range")]
    [InlineData("P5\n2 2\n70000\n", "maxval 70000 is out of range")]
    [InlineData("P2\n2 x\n255\n", "expected a decimal number at offset 5, found 'x'")]
    [InlineData("P2\n0 2\n255\n", "width must be positive")]
    [InlineData("P2\n2 1\n15\n3 16\n", "sample 16 at x=1, y=0 exceeds maxval 15")]
    [InlineData("P7\n2 2\n255\n", "magic number is P7")]
    public void MalformedFilesAreRejectedNamingTheFile(string content, params string[] phrases)
    {
        var e = Assert.Throws<InvalidDataException>(() => Pgm.Decode(Ascii(content), "dir/bad.pgm"));
        Assert.StartsWith("dir/bad.pgm: ", e.Message);
        foreach (var phrase in phrases) Assert.Contains(phrase, e.Message);
    }

    [Fact]
    public void ReadGrayRecognisesTheFormatFromTheFileContents()
    {
        string pgm = Path.Combine(_dir.FullName, "digit.pgm"), png = Path.Combine(_dir.FullName, "digit.png");
        File.WriteAllBytes(pgm, [.. Ascii("P5 2 1 255\n"), 7, 200]);
        File.WriteAllBytes(png, Png.Encode([7, 200], 2, 1, PngColorType.Gray));
        Assert.Equal(new byte[] { 7, 200 }, ImageFile.ReadGray(pgm).Pixels);
        Assert.Equal(new byte[] { 7, 200 }, ImageFile.ReadGray(png).Pixels);

        string jpeg = Path.Combine(_dir.FullName, "photo.jpg");
        File.WriteAllBytes(jpeg, [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.ReadGray(jpeg));
        Assert.Equal($"{jpeg}: not a PNG or PGM image (it starts with FFD8FFE00010)", e.Message);

        string ppm = Path.Combine(_dir.FullName, "colour.ppm");
        File.WriteAllBytes(ppm, Ascii("P6 1 1 255\n\0\0\0"));
        Assert.Contains("P6 is not supported", Assert.Throws<InvalidDataException>(() => ImageFile.ReadGray(ppm)).Message);

        string empty = Path.Combine(_dir.FullName, "empty.png");
        File.WriteAllBytes(empty, []);
        Assert.Contains("the file is empty", Assert.Throws<InvalidDataException>(() => ImageFile.ReadGray(empty)).Message);
    }
}
