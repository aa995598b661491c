using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NetBlocks.Reporting.Images;

/// <summary>
/// A decoded, non-interlaced PNG: the unfiltered scanlines of the file, packed as stored
/// (<see cref="RowBytes"/> per row, samples big-endian for 16 bits, MSB-first for 1/2/4 bits).
/// </summary>
public sealed class PngImage
{
    internal PngImage(string source, int width, int height, int bitDepth, PngColorType colorType, byte[] data, byte[]? palette)
    {
        Source = source;
        Width = width;
        Height = height;
        BitDepth = bitDepth;
        ColorType = colorType;
        Data = data;
        Palette = palette;
    }

    /// <summary>The file (or name) it was decoded from, for error messages.</summary>
    public string Source { get; }
    public int Width { get; }
    public int Height { get; }
    public int BitDepth { get; }
    public PngColorType ColorType { get; }
    /// <summary>Rows of <see cref="RowBytes"/> bytes each, top to bottom, without the filter-type bytes.</summary>
    public byte[] Data { get; }
    /// <summary>PLTE entries as R,G,B triples (null when the file has none).</summary>
    public byte[]? Palette { get; }

    public int Channels => Png.Channels(ColorType);
    public int RowBytes => (Width * Channels * BitDepth + 7) / 8;

    /// <summary>
    /// One 8-bit gray value per pixel, as Pillow's <c>Image.convert("L")</c> computes it: colour through ITU-R 601-2
    /// luma in Pillow's fixed point, <c>L = (19595 R + 38470 G + 7471 B + 32768) >> 16</c> (= 0.299 R + 0.587 G +
    /// 0.114 B, rounded); alpha is dropped, not composited (as Pillow does); 1/2/4-bit gray is stretched to 0..255
    /// (x255, x85, x17); 16-bit samples keep their high byte.
    /// </summary>
    /// <exception cref="InvalidDataException">a palette index beyond the PLTE entries.</exception>
    public byte[] ToGray()
    {
        var gray = new byte[Width * Height];
        int channels = Channels;
        for (int y = 0; y < Height; y++)
        {
            var row = Data.AsSpan(y * RowBytes, RowBytes);
            var dst = gray.AsSpan(y * Width, Width);
            for (int x = 0; x < Width; x++)
            {
                dst[x] = ColorType switch
                {
                    PngColorType.Gray => Stretch(Sample(row, x), BitDepth),
                    PngColorType.GrayAlpha => Byte(row, x * channels),
                    PngColorType.Rgb or PngColorType.Rgba =>
                        Luma(Byte(row, x * channels), Byte(row, x * channels + 1), Byte(row, x * channels + 2)),
                    PngColorType.Palette => PaletteLuma(Sample(row, x)),
                    _ => throw new InvalidOperationException($"colour type {ColorType}"),
                };
            }
        }
        return gray;
    }

    /// <summary>Pillow's rgb2l: <c>(R*19595 + G*38470 + B*7471 + 0x8000) >> 16</c>.</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>Sample number <paramref name="index"/> of a row whose samples are all <see cref="BitDepth"/> bits.</summary>
    private int Sample(ReadOnlySpan<byte> row, int index)
    {
        switch (BitDepth)
        {
            case 8: return row[index];
            case 16: return (row[2 * index] << 8) | row[2 * index + 1];
            default:
                int bit = index * BitDepth;
                int shift = 8 - BitDepth - (bit & 7);
                return (row[bit >> 3] >> shift) & ((1 << BitDepth) - 1);
        }
    }

    /// <summary>The 8-bit value of byte-aligned sample <paramref name="index"/> (8 or 16 bits; the high byte of 16).</summary>
    private byte Byte(ReadOnlySpan<byte> row, int index) => BitDepth == 16 ? row[2 * index] : row[index];

    private static byte Stretch(int v, int bits) => bits switch
    {
        16 => (byte)(v >> 8),
        8 => (byte)v,
        _ => (byte)(v * 255 / ((1 << bits) - 1)),
    };

    private byte PaletteLuma(int index)
    {
        var p = Palette!;
        if (3 * index + 2 >= p.Length)
            throw new InvalidDataException($"{Source}: palette index {index} is out of range (PLTE has {p.Length / 3} entries)");
        return Luma(p[3 * index], p[3 * index + 1], p[3 * index + 2]);
    }
}

public static partial class Png
{
    /// <summary>Refuse images whose filtered data would exceed this (a corrupt or hostile header).</summary>
    private const long MaxRawBytes = 1L << 30;

    /// <summary>The most bytes deflate can expand one compressed byte to (a 258-byte match per ~2 bits, RFC 1951): 1032.</summary>
    private const long MaxDeflateRatio = 1032;

    internal static int Channels(PngColorType type) => type switch
    {
        PngColorType.Gray or PngColorType.Palette => 1,
        PngColorType.GrayAlpha => 2,
        PngColorType.Rgb => 3,
        PngColorType.Rgba => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Reads a PNG file; see <see cref="Decode(ReadOnlySpan{byte}, string)"/>.</summary>
    public static PngImage Read(string path) => Decode(File.ReadAllBytes(path), path);

    /// <summary>
    /// Decodes a non-interlaced PNG of any standard colour type and bit depth, checking every chunk's CRC.
    /// <paramref name="name"/> (usually the path) starts every error message.
    /// </summary>
    /// <exception cref="InvalidDataException">bad signature, truncated or corrupt chunk, CRC mismatch, invalid or
    /// unsupported header (including Adam7 interlacing), unknown critical chunk, corrupt or short image data.</exception>
    public static PngImage Decode(ReadOnlySpan<byte> file, string name, (int Width, int Height)? expected = null)
    {
        if (file.Length < Signature.Length || !file[..Signature.Length].SequenceEqual(Signature))
            throw Bad(name, "not a PNG file (the 8-byte PNG signature is missing)");

        Header? header = null;
        byte[]? palette = null;
        var idat = new MemoryStream();
        int pos = Signature.Length;
        while (true)
        {
            if (file.Length - pos < 12)
                throw Bad(name, pos == file.Length
                    ? "truncated file: it ends before the IEND chunk"
                    : $"truncated chunk header at offset {pos}: {file.Length - pos} bytes left, a chunk needs at least 12");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file[pos..]);
            var typeBytes = file.Slice(pos + 4, 4);
            string type = Encoding.ASCII.GetString(typeBytes);
            foreach (byte b in typeBytes)
                if (!char.IsAsciiLetter((char)b)) throw Bad(name, $"invalid chunk type bytes {Convert.ToHexString(typeBytes)} at offset {pos}");
            if (length > int.MaxValue || file.Length - pos - 12 < length)
                throw Bad(name, $"truncated chunk '{type}' at offset {pos}: it declares {length} data bytes, the file has {Math.Max(0, file.Length - pos - 12)} after its header");
            var data = file.Slice(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8 + (int)length)..]);
            uint computed = Crc32.Compute(file.Slice(pos + 4, 4 + (int)length));
            if (stored != computed)
                throw Bad(name, $"CRC mismatch in chunk '{type}' at offset {pos} (stored 0x{stored:x8}, computed 0x{computed:x8})");
            pos += 12 + (int)length;

            if (header is null && type != "IHDR") throw Bad(name, $"the first chunk is '{type}', expected IHDR");
            switch (type)
            {
                case "IHDR":
                    if (header is not null) throw Bad(name, "more than one IHDR chunk");
                    header = ParseHeader(data, name);
                    ImageFile.CheckDeclaredSize(name, header.Width, header.Height, expected);
                    break;
                case "PLTE":
                    if (length == 0 || length % 3 != 0 || length > 3 * 256)
                        throw Bad(name, $"PLTE chunk has {length} bytes; it must hold 1..256 RGB triples");
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    return Build(header!, palette, idat, name);
                default:
                    // Bit 5 of the first byte clear (upper case) marks a chunk a decoder must understand.
                    if (char.IsAsciiLetterUpper(type[0])) throw Bad(name, $"unknown critical chunk '{type}'");
                    break;
            }
        }
    }

    private sealed record Header(int Width, int Height, int BitDepth, PngColorType ColorType)
    {
        public int BitsPerPixel => BitDepth * Channels(ColorType);
        public int RowBytes => (int)(((long)Width * BitsPerPixel + 7) / 8);
    }

    private static Header ParseHeader(ReadOnlySpan<byte> d, string name)
    {
        if (d.Length != 13) throw Bad(name, $"IHDR chunk has {d.Length} bytes, expected 13");
        int width = BinaryPrimitives.ReadInt32BigEndian(d), height = BinaryPrimitives.ReadInt32BigEndian(d[4..]);
        int depth = d[8], colorType = d[9];
        if (width <= 0 || height <= 0) throw Bad(name, $"invalid image size {width}x{height}");
        int[]? allowed = colorType switch
        {
            0 => [1, 2, 4, 8, 16],
            3 => [1, 2, 4, 8],
            2 or 4 or 6 => [8, 16],
            _ => null,
        };
        if (allowed is null) throw Bad(name, $"unsupported colour type {colorType} (PNG defines 0, 2, 3, 4, 6)");
        if (Array.IndexOf(allowed, depth) < 0)
            throw Bad(name, $"bit depth {depth} is not allowed for colour type {colorType} (allowed: {string.Join(", ", allowed)})");
        if (d[10] != 0) throw Bad(name, $"unknown compression method {d[10]}");
        if (d[11] != 0) throw Bad(name, $"unknown filter method {d[11]}");
        if (d[12] == 1) throw Bad(name, "Adam7-interlaced PNG is not supported; save it without interlacing");
        if (d[12] != 0) throw Bad(name, $"unknown interlace method {d[12]}");
        var header = new Header(width, height, depth, (PngColorType)colorType);
        if ((header.RowBytes + 1L) * height > MaxRawBytes)
            throw Bad(name, $"image {width}x{height} is too large (over {MaxRawBytes >> 20} MiB of pixel data)");
        return header;
    }

    private static PngImage Build(Header h, byte[]? palette, MemoryStream idat, string name)
    {
        if (h.ColorType == PngColorType.Palette && palette is null) throw Bad(name, "colour type 3 (palette) without a PLTE chunk");
        if (idat.Length == 0) throw Bad(name, "no IDAT chunk (no image data)");

        int stride = h.RowBytes;
        long rawLength = (stride + 1L) * h.Height;
        if (rawLength > idat.Length * MaxDeflateRatio + 64)
            throw Bad(name, $"image data is truncated: {h.Width}x{h.Height} needs {rawLength} bytes after decompression, but the " +
                            $"{idat.Length} bytes of IDAT inflate to at most {idat.Length * MaxDeflateRatio} (deflate's limit is {MaxDeflateRatio}:1)");
        var raw = new byte[rawLength];
        idat.Position = 0;
        int got;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw Bad(name, $"corrupt zlib data in IDAT: {e.Message}");
        }
        if (got < raw.Length) throw Bad(name, $"image data is truncated: {got} of {raw.Length} bytes after decompression");

        // Unfilter in place, row by row: recon(x) = filt(x) + predictor(recon a, b, c).
        int bpp = Math.Max(1, h.BitsPerPixel / 8);
        var pixels = new byte[(long)stride * h.Height];
        var previous = new byte[stride];
        for (int y = 0; y < h.Height; y++)
        {
            int type = raw[y * (stride + 1L)];
            if (type > 4) throw Bad(name, $"unknown filter type {type} on row {y}");
            var src = raw.AsSpan((int)(y * (stride + 1L) + 1), stride);
            var row = pixels.AsSpan(y * stride, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
                row[i] = (byte)(src[i] + Predict(type, a, b, c));
            }
            row.CopyTo(previous);
        }
        return new PngImage(name, h.Width, h.Height, h.BitDepth, h.ColorType, pixels, palette);
    }

    private static InvalidDataException Bad(string name, string what) => new($"{name}: {what}");
}
