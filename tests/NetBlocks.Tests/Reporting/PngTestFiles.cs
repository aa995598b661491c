using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NetBlocks.Tests.Reporting;

/// <summary>
/// Builds PNG files byte by byte for decoder tests, and walks the chunks of a file for encoder tests. The CRC
/// here is computed bit by bit, independently of the library's table-driven one.
/// </summary>
internal static class PngTestFiles
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>CRC-32 (ISO-HDLC), one bit at a time.</summary>
    public static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
        }
        return ~crc;
    }

    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), BitwiseCrc(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    public static byte[] Ihdr(int width, int height, int bitDepth, int colorType, int interlace = 0)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(d, width);
        BinaryPrimitives.WriteInt32BigEndian(d.AsSpan(4), height);
        (d[8], d[9], d[12]) = ((byte)bitDepth, (byte)colorType, (byte)interlace);
        return Chunk("IHDR", d);
    }

    public static byte[] Zlib(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    /// <summary>A complete PNG from scanlines already filtered (each row starting with its filter-type byte).</summary>
    public static byte[] Build(int width, int height, int bitDepth, int colorType, byte[] filteredRows, byte[]? palette = null, int interlace = 0)
    {
        var file = new List<byte>(Signature);
        file.AddRange(Ihdr(width, height, bitDepth, colorType, interlace));
        if (palette is not null) file.AddRange(Chunk("PLTE", palette));
        file.AddRange(Chunk("IDAT", Zlib(filteredRows)));
        file.AddRange(Chunk("IEND", []));
        return file.ToArray();
    }

    public sealed record ChunkInfo(int Offset, string Type, byte[] Data, uint StoredCrc);

    /// <summary>The chunks of a PNG, in order; asserts that the file is exactly signature + chunks.</summary>
    public static List<ChunkInfo> Chunks(byte[] png)
    {
        Assert.Equal(Signature, png[..8]);
        var chunks = new List<ChunkInfo>();
        int pos = 8;
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length).ToArray();
            chunks.Add(new ChunkInfo(pos, type, data, BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length))));
            pos += 12 + length;
        }
        Assert.Equal(png.Length, pos);
        return chunks;
    }
}
