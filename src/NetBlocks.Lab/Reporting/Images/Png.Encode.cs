using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NetBlocks.Reporting.Images;

/// <summary>PNG colour types (the IHDR byte), with the number of samples per pixel in the comments.</summary>
public enum PngColorType : byte
{
    Gray = 0,       // 1
    Rgb = 2,        // 3
    Palette = 3,    // 1 (index)
    GrayAlpha = 4,  // 2
    Rgba = 6,       // 4
}

/// <summary>
/// PNG (ISO/IEC 15948) writer and reader. A PNG is the 8-byte signature then chunks
/// <c>[length u32 BE][type 4 ASCII][data][CRC-32 of type+data u32 BE]</c>: IHDR, (PLTE), IDAT..., IEND.
/// The image data is one zlib stream over all scanlines, each prefixed by its filter type byte.
/// </summary>
public static partial class Png
{
    internal static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>IDAT chunks are cut at this size, as libpng does with its default 8 KiB buffer (any size is valid).</summary>
    private const int IdatChunkBytes = 32 * 1024;

    /// <summary>
    /// Encodes 8-bit pixels, row-major without padding: <paramref name="pixels"/> is (height, width, channels) with
    /// channels = 1 (Gray), 3 (Rgb) or 4 (Rgba). Each row gets the filter that minimises the sum of absolute
    /// filtered bytes (libpng's heuristic), then everything is deflated with zlib.
    /// </summary>
    /// <exception cref="ArgumentException">unsupported colour type, non-positive size, or a pixel buffer of the wrong length.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, PngColorType color)
    {
        int channels = color switch
        {
            PngColorType.Gray => 1,
            PngColorType.Rgb => 3,
            PngColorType.Rgba => 4,
            _ => throw new ArgumentException($"the encoder writes Gray, Rgb or Rgba, not {color}", nameof(color)),
        };
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size must be positive, got {width}x{height}");
        long expected = (long)width * height * channels;
        if (pixels.Length != expected)
            throw new ArgumentException($"{width}x{height} {color} needs {expected} bytes, got {pixels.Length}", nameof(pixels));

        var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;              // bit depth
        ihdr[9] = (byte)color;
        ihdr[10] = 0;             // compression: deflate
        ihdr[11] = 0;             // filter method: adaptive, five types
        ihdr[12] = 0;             // no interlace
        WriteChunk(output, "IHDR", ihdr);

        byte[] compressed = Deflate(pixels, width * channels, height, channels);
        for (int at = 0; at < compressed.Length; at += IdatChunkBytes)
            WriteChunk(output, "IDAT", compressed.AsSpan(at, Math.Min(IdatChunkBytes, compressed.Length - at)));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static byte[] Deflate(ReadOnlySpan<byte> pixels, int stride, int height, int bpp)
    {
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var candidates = new byte[5][];
            for (int f = 0; f < 5; f++) candidates[f] = new byte[1 + stride];
            ReadOnlySpan<byte> previous = new byte[stride]; // the row above the first is all zeros
            for (int y = 0; y < height; y++)
            {
                var row = pixels.Slice(y * stride, stride);
                int best = 0;
                long bestCost = long.MaxValue;
                for (int f = 0; f < 5; f++)
                {
                    var line = candidates[f];
                    line[0] = (byte)f;
                    Filter(f, row, previous, bpp, line.AsSpan(1));
                    long cost = 0;
                    for (int i = 1; i < line.Length; i++) cost += Math.Abs((int)(sbyte)line[i]);
                    if (cost < bestCost) (best, bestCost) = (f, cost);
                }
                z.Write(candidates[best]);
                previous = row;
            }
        }
        return compressed.ToArray();
    }

    /// <summary>
    /// Filters one scanline: <c>out[i] = row[i] - predictor(a = row[i-bpp], b = previous[i], c = previous[i-bpp])</c>
    /// (mod 256), with a and c = 0 left of the first pixel. Type 0 None, 1 Sub (a), 2 Up (b), 3 Average
    /// (floor((a+b)/2)), 4 Paeth.
    /// </summary>
    internal static void Filter(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int bpp, Span<byte> output)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
            output[i] = (byte)(row[i] - Predict(type, a, b, c));
        }
    }

    /// <summary>The value a filter type predicts from the left (a), upper (b) and upper-left (c) bytes.</summary>
    internal static int Predict(int type, int a, int b, int c) => type switch
    {
        0 => 0,
        1 => a,
        2 => b,
        3 => (a + b) >> 1,
        4 => Paeth(a, b, c),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "PNG filter types are 0..4"),
    };

    /// <summary>Paeth's predictor: whichever of a, b, c is closest to a + b - c; ties prefer a, then b.</summary>
    internal static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(typeBytes), data));
        output.Write(word);
    }
}
