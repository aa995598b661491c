using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NetBlocks.Reporting.Images;
using static NetBlocks.Tests.Reporting.PngTestFiles;

namespace NetBlocks.Tests.Reporting;

public class PngTests
{
    [Fact]
    public void Crc32MatchesTheStandardCheckValues()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));          // the CRC-32/ISO-HDLC check value
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));               // every PNG ends with these four bytes
        Assert.Equal(Crc32.Compute("IHDRdata"u8), Crc32.Append(Crc32.Compute("IHDR"u8), "data"u8));
        Assert.Equal(BitwiseCrc("The quick brown fox"u8), Crc32.Compute("The quick brown fox"u8));
    }

    private static byte[] Noise(int n, int seed)
    {
        var rng = new Random(seed);
        var bytes = new byte[n];
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Rows that favour different filters: flat, horizontal ramp, vertical ramp, noise.</summary>
    private static byte[] Mixed(int width, int height, int channels)
    {
        var px = new byte[width * height * channels];
        var noise = Noise(px.Length, 7);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width * channels; x++)
                px[y * width * channels + x] = (y % 4) switch
                {
                    0 => 200,
                    1 => (byte)(x * 3),
                    2 => (byte)(y * 5 + x / channels),
                    _ => noise[y * width * channels + x],
                };
        return px;
    }

    [Theory]
    [InlineData(PngColorType.Gray, 1)]
    [InlineData(PngColorType.Rgb, 3)]
    [InlineData(PngColorType.Rgba, 4)]
    public void EncodedPixelsDecodeToTheSameBytes(PngColorType color, int channels)
    {
        foreach (var (w, h) in new[] { (1, 1), (7, 5), (64, 48), (300, 200) })
        {
            var pixels = Mixed(w, h, channels);
            var png = Png.Encode(pixels, w, h, color);
            var decoded = Png.Decode(png, "roundtrip.png");
            Assert.Equal((w, h, 8, color), (decoded.Width, decoded.Height, decoded.BitDepth, decoded.ColorType));
            Assert.Equal(pixels, decoded.Data);
        }
    }

    [Fact]
    public void EncoderOutputFollowsTheSpec()
    {
        const int w = 300, h = 200;
        var pixels = Mixed(w, h, 3);
        var png = Png.Encode(pixels, w, h, PngColorType.Rgb);
        var chunks = Chunks(png);

        Assert.Equal("IHDR", chunks[0].Type);
        var ihdr = chunks[0].Data;
        Assert.Equal(13, ihdr.Length);
        Assert.Equal(w, BinaryPrimitives.ReadInt32BigEndian(ihdr));
        Assert.Equal(h, BinaryPrimitives.ReadInt32BigEndian(ihdr.AsSpan(4)));
        Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, ihdr[8..]); // depth 8, RGB, deflate, adaptive filters, no interlace
        Assert.Equal("IEND", chunks[^1].Type);
        Assert.Empty(chunks[^1].Data);
        Assert.All(chunks[1..^1], c => Assert.Equal("IDAT", c.Type));
        foreach (var c in chunks)
            Assert.Equal(BitwiseCrc([.. Encoding.ASCII.GetBytes(c.Type), .. c.Data]), c.StoredCrc);

        // The IDATs together are one zlib stream of h rows, each a filter byte (0..4) and w*3 bytes.
        var z = new ZLibStream(new MemoryStream(chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray()), CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        Assert.Equal(h * (1 + 3 * w), raw.Length);
        var filters = Enumerable.Range(0, h).Select(y => raw.GetBuffer()[y * (1 + 3 * w)]).ToArray();
        Assert.All(filters, f => Assert.InRange(f, 0, 4));
        Assert.True(filters.Distinct().Count() >= 3, $"the encoder used filters {string.Join(",", filters.Distinct())}; expected it to adapt per row");
    }

    [Fact]
    public void EncoderRejectsABufferOfTheWrongSize()
    {
        var e = Assert.Throws<ArgumentException>(() => Png.Encode(new byte[10], 2, 2, PngColorType.Rgb));
        Assert.Contains("needs 12 bytes, got 10", e.Message);
    }

    // The 4x2 gray image [[10, 20, 30, 40], [15, 25, 35, 45]] filtered by hand with each filter type.
    public static TheoryData<string, byte[]> FilteredRows => new()
    {
        { "None",    [0, 10, 20, 30, 40,   0, 15, 25, 35, 45] },
        { "Sub",     [1, 10, 10, 10, 10,   1, 15, 10, 10, 10] },       // x - left
        { "Up",      [2, 10, 20, 30, 40,   2, 5, 5, 5, 5] },           // x - above (zeros above row 0)
        { "Average", [3, 10, 15, 20, 25,   3, 10, 8, 8, 8] },          // x - floor((left + above) / 2)
        { "Paeth",   [4, 10, 10, 10, 10,   4, 5, 5, 5, 5] },           // row 0: predicts left; row 1: above is nearest
    };

    [Theory]
    [MemberData(nameof(FilteredRows))]
    public void EachFilterTypeIsUndone(string filter, byte[] rows)
    {
        var png = Build(4, 2, 8, 0, rows);
        var (w, h, pixels) = ImageFile.DecodeGray(png, filter + ".png");
        Assert.Equal((4, 2), (w, h));
        Assert.Equal(new byte[] { 10, 20, 30, 40, 15, 25, 35, 45 }, pixels);
    }

    [Fact]
    public void SubFilterOnRgbUsesThePixelToTheLeftAndWrapsModulo256()
    {
        // Pixels (200,100,50), (10,20,30): the second is stored as (10-200, 20-100, 30-50) mod 256.
        var png = Build(2, 1, 8, 2, [1, 200, 100, 50, 66, 176, 236]);
        var image = Png.Decode(png, "sub.png");
        Assert.Equal(new byte[] { 200, 100, 50, 10, 20, 30 }, image.Data);
    }

    [Fact]
    public void ColourBecomesGrayAsPillowConvertLDoes()
    {
        // Pillow's rgb2l: (19595 R + 38470 G + 7471 B + 0x8000) >> 16. Green gives 150 where truncating
        // 0.587 * 255 = 149.7 would give 149.
        var rgb = Build(5, 1, 8, 2, [0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128, 12, 34, 56]);
        Assert.Equal(new byte[] { 76, 150, 29, 128, 30 }, ImageFile.DecodeGray(rgb, "rgb.png").Pixels);

        // Alpha is dropped, not composited onto a background.
        var rgba = Build(2, 1, 8, 6, [0, 255, 0, 0, 0, 0, 0, 255, 77]);
        Assert.Equal(new byte[] { 76, 29 }, ImageFile.DecodeGray(rgba, "rgba.png").Pixels);
        var grayAlpha = Build(2, 1, 8, 4, [0, 99, 0, 200, 255]);
        Assert.Equal(new byte[] { 99, 200 }, ImageFile.DecodeGray(grayAlpha, "la.png").Pixels);
    }

    private static readonly byte[] FourColours = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];

    [Fact]
    public void PaletteIndicesBecomeTheLumaOfTheirColours()
    {
        var eightBit = Build(4, 1, 8, 3, [0, 0, 1, 2, 3], FourColours);
        Assert.Equal(new byte[] { 76, 150, 29, 255 }, ImageFile.DecodeGray(eightBit, "p8.png").Pixels);

        // Two bits per index, most significant first: 00 01 10 11.
        var twoBit = Build(4, 1, 2, 3, [0, 0b00_01_10_11], FourColours);
        Assert.Equal(new byte[] { 76, 150, 29, 255 }, ImageFile.DecodeGray(twoBit, "p2.png").Pixels);
    }

    [Fact]
    public void LowAndHighBitDepthGrayIsScaledTo8Bits()
    {
        // 1 bit, width 3: the last five bits of the byte are padding.
        Assert.Equal(new byte[] { 255, 0, 255 }, ImageFile.DecodeGray(Build(3, 1, 1, 0, [0, 0b1010_0111]), "g1.png").Pixels);
        // 4 bits: v * 17.
        Assert.Equal(new byte[] { 0, 255, 136 }, ImageFile.DecodeGray(Build(3, 1, 4, 0, [0, 0x0F, 0x80]), "g4.png").Pixels);
        // 16 bits big-endian: the high byte.
        Assert.Equal(new byte[] { 255, 128, 0 }, ImageFile.DecodeGray(Build(3, 1, 16, 0, [0, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0xFF]), "g16.png").Pixels);
        // 16-bit RGB: luma of the high bytes.
        Assert.Equal(new byte[] { 150 }, ImageFile.DecodeGray(Build(1, 1, 16, 2, [0, 0, 9, 0xFF, 0xF0, 0, 1]), "rgb16.png").Pixels);
    }

    [Fact]
    public void SeveralIdatChunksAndAncillaryChunksAreFine()
    {
        var z = Zlib([0, 1, 2, 3, 4]);
        byte[] png = [.. Signature, .. Ihdr(4, 1, 8, 0), .. Chunk("tEXt", "Comment\0hi"u8),
                      .. Chunk("IDAT", z[..3]), .. Chunk("IDAT", z[3..]), .. Chunk("IEND", [])];
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, ImageFile.DecodeGray(png, "split.png").Pixels);
    }

    private static void AssertBad(byte[] file, params string[] phrases)
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.DecodeGray(file, "some/img.png"));
        Assert.StartsWith("some/img.png: ", e.Message);
        foreach (var phrase in phrases) Assert.Contains(phrase, e.Message);
    }

    private static byte[] Good() => Build(4, 2, 8, 0, [0, 10, 20, 30, 40, 0, 15, 25, 35, 45]);

    [Fact]
    public void CorruptFilesAreRejectedWithMessagesThatSayWhatIsWrong()
    {
        var good = Good();
        byte[] badSignature = [.. good];
        badSignature[1] = (byte)'X';
        AssertBad(badSignature, "not a PNG or PGM");
        Assert.Contains("signature", Assert.Throws<InvalidDataException>(() => Png.Decode(badSignature, "x.png")).Message);

        AssertBad(good[..50], "truncated chunk 'IDAT' at offset 33");
        AssertBad(good[..40], "truncated chunk header at offset 33");
        AssertBad(good[..^12], "ends before the IEND");

        byte[] flipped = [.. good];
        flipped[8 + 8 + 2] ^= 0x01;                                     // a byte of IHDR's data
        AssertBad(flipped, "CRC mismatch in chunk 'IHDR'");

        AssertBad(Build(4, 2, 8, 0, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4], interlace: 1), "Adam7-interlaced PNG is not supported");
        AssertBad(Build(4, 2, 8, 5, [0]), "unsupported colour type 5");
        AssertBad(Build(4, 2, 16, 3, [0], FourColours), "bit depth 16 is not allowed for colour type 3");
        AssertBad(Build(4, 2, 8, 0, [0, 1, 2, 3, 4]), "image data is truncated");
        AssertBad(Build(4, 1, 8, 0, [7, 1, 2, 3, 4]), "unknown filter type 7 on row 0");
        AssertBad(Build(1, 1, 8, 3, [0, 9], FourColours), "palette index 9", "4 entries");
        AssertBad(Build(1, 1, 8, 3, [0, 0]), "without a PLTE chunk");
        AssertBad([.. Signature, .. Ihdr(1, 1, 8, 0), .. Chunk("IDAT", [1, 2, 3, 4, 5]), .. Chunk("IEND", [])], "corrupt zlib data");
        AssertBad([.. Signature, .. Ihdr(1, 1, 8, 0), .. Chunk("ABCD", []), .. Chunk("IEND", [])], "unknown critical chunk 'ABCD'");
        AssertBad([.. Signature, .. Chunk("IDAT", Zlib([0, 1])), .. Chunk("IEND", [])], "first chunk is 'IDAT', expected IHDR");
    }
}
