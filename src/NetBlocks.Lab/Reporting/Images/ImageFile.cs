namespace NetBlocks.Reporting.Images;

/// <summary>Reads an image for <c>netblocks predict</c>, whatever its format, as 8-bit gray.</summary>
public static class ImageFile
{
    /// <summary>
    /// Reads a PNG (any colour type, non-interlaced) or a PGM (P2/P5) as 8-bit gray pixels, row-major, converting
    /// colour the way Pillow's <c>convert("L")</c> does (see <see cref="PngImage.ToGray"/>).
    /// With <paramref name="expected"/>, an image of another size is refused from its header, before anything is
    /// decompressed or allocated.
    /// </summary>
    /// <exception cref="InvalidDataException">the format is unknown, the file is corrupt, or the size is not the expected
    /// one; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    public static (int Width, int Height, byte[] Pixels) ReadGray(string path, (int Width, int Height)? expected = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return DecodeGray(File.ReadAllBytes(path), path, expected);
    }

    /// <summary>As <see cref="ReadGray(string, ValueTuple{int, int}?)"/> on bytes already in memory; <paramref name="name"/> starts error messages.</summary>
    public static (int Width, int Height, byte[] Pixels) DecodeGray(ReadOnlySpan<byte> data, string name, (int Width, int Height)? expected = null)
    {
        if (data.Length >= 4 && data[0] == 0x89 && data[1] == 'P' && data[2] == 'N' && data[3] == 'G')
        {
            var png = Png.Decode(data, name, expected);
            return (png.Width, png.Height, png.ToGray());
        }
        if (data.Length >= 2 && data[0] == 'P' && data[1] is (byte)'2' or (byte)'5')
            return Pgm.Decode(data, name, expected);
        if (data.Length >= 2 && data[0] == 'P' && data[1] is >= (byte)'1' and <= (byte)'7')
            throw new InvalidDataException($"{name}: Netpbm format P{(char)data[1]} is not supported; use a PGM (P2 or P5) or a PNG");
        string start = data.Length == 0 ? "the file is empty" : $"it starts with {Convert.ToHexString(data[..Math.Min(8, data.Length)])}";
        throw new InvalidDataException($"{name}: not a PNG or PGM image ({start})");
    }

    /// <summary>The check a decoder makes on the size its header declares, before it decodes or allocates anything.</summary>
    internal static void CheckDeclaredSize(string name, int width, int height, (int Width, int Height)? expected)
    {
        if (expected is { } e && (width != e.Width || height != e.Height))
            throw new InvalidDataException($"{name}: expected a {e.Width}×{e.Height} image, its header says {width}×{height}");
    }
}
