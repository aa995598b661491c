using System.Text;

namespace NetBlocks.Reporting.Images;

/// <summary>
/// Netpbm graymap reader (https://netpbm.sourceforge.net/doc/pgm.html). Header: magic "P5" (binary) or "P2"
/// (ASCII), then width, height, maxval as decimal tokens separated by whitespace, '#' comments to end of line.
/// P5: exactly one whitespace byte after maxval, then width*height samples of 1 byte (maxval &lt; 256) or 2 bytes
/// big-endian. P2: width*height decimal samples. Only the first image of a file is read.
/// </summary>
public static class Pgm
{
    /// <summary>
    /// Decodes a PGM to 8-bit gray, row-major. Samples are rescaled to 0..255 when maxval != 255:
    /// <c>v8 = round(v * 255 / maxval)</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">bad magic, malformed or out-of-range header values, truncated data,
    /// samples above maxval; the message starts with <paramref name="name"/>.</exception>
    public static (int Width, int Height, byte[] Pixels) Decode(ReadOnlySpan<byte> file, string name, (int Width, int Height)? expected = null)
    {
        if (file.Length < 2 || file[0] != 'P' || (file[1] != '2' && file[1] != '5'))
        {
            string found = file.Length >= 2 ? Printable(file[..2]) : "(too short)";
            throw Bad(name, $"not a PGM file: the magic number is {found}, expected P5 (binary) or P2 (ASCII)");
        }
        bool binary = file[1] == '5';
        int pos = 2;
        int width = HeaderInt(file, ref pos, "width", name);
        int height = HeaderInt(file, ref pos, "height", name);
        int maxval = HeaderInt(file, ref pos, "maxval", name);
        if (maxval < 1 || maxval > 65535) throw Bad(name, $"maxval {maxval} is out of range (1..65535)");
        if ((long)width * height > 1 << 28) throw Bad(name, $"image {width}x{height} is too large");
        ImageFile.CheckDeclaredSize(name, width, height, expected);
        // What the file can hold, checked before the pixels are allocated: P5 stores 1 or 2 bytes a sample, P2 at least
        // a digit each.
        long samples = (long)width * height;
        if (binary)
        {
            // Exactly one whitespace byte separates maxval from the raster (the raster may start with "whitespace" values).
            if (pos >= file.Length || !IsSpace(file[pos])) throw Bad(name, "truncated header: no whitespace after maxval");
            pos++;
        }
        long needed = binary ? samples * (maxval < 256 ? 1 : 2) : samples;
        if (file.Length - pos < needed)
            throw Bad(name, binary
                ? $"truncated pixel data: {width}x{height} with maxval {maxval} needs {needed} bytes, the file has {file.Length - pos}"
                : $"truncated pixel data: {width}x{height} samples need at least {needed} bytes (a digit each), the file has {file.Length - pos}");

        var pixels = new byte[samples];
        if (binary)
        {
            int bytesPerSample = maxval < 256 ? 1 : 2;
            for (int i = 0; i < pixels.Length; i++)
            {
                int v = bytesPerSample == 1 ? file[pos + i] : (file[pos + 2 * i] << 8) | file[pos + 2 * i + 1];
                pixels[i] = Scale(v, maxval, i, width, name);
            }
        }
        else
        {
            for (int i = 0; i < pixels.Length; i++)
            {
                int v = NextInt(file, ref pos, name, () => $"truncated pixel data: found {i} of {pixels.Length} samples ({width}x{height})");
                pixels[i] = Scale(v, maxval, i, width, name);
            }
        }
        return (width, height, pixels);
    }

    private static byte Scale(int v, int maxval, int index, int width, string name)
    {
        if (v > maxval) throw Bad(name, $"sample {v} at x={index % width}, y={index / width} exceeds maxval {maxval}");
        return maxval == 255 ? (byte)v : (byte)((v * 255L + maxval / 2) / maxval);
    }

    private static int HeaderInt(ReadOnlySpan<byte> file, ref int pos, string field, string name)
    {
        int v = NextInt(file, ref pos, name, () => $"truncated header: no {field}");
        if (field != "maxval" && v <= 0) throw Bad(name, $"{field} must be positive, got {v}");
        return v;
    }

    /// <summary>Skips whitespace and comments, then parses a non-negative decimal integer.</summary>
    private static int NextInt(ReadOnlySpan<byte> file, ref int pos, string name, Func<string> whenMissing)
    {
        while (pos < file.Length)
        {
            if (IsSpace(file[pos])) pos++;
            else if (file[pos] == '#') { while (pos < file.Length && file[pos] != '\n' && file[pos] != '\r') pos++; }
            else break;
        }
        if (pos >= file.Length) throw Bad(name, whenMissing());
        int start = pos;
        long value = 0;
        while (pos < file.Length && file[pos] >= '0' && file[pos] <= '9')
        {
            value = value * 10 + (file[pos++] - '0');
            if (value > int.MaxValue) throw Bad(name, $"number at offset {start} is too large");
        }
        if (pos == start || (pos < file.Length && !IsSpace(file[pos]) && file[pos] != '#'))
        {
            int end = pos;
            while (end < file.Length && end - start < 12 && !IsSpace(file[end])) end++;
            throw Bad(name, $"expected a decimal number at offset {start}, found '{Printable(file[start..Math.Max(end, start + 1)])}'");
        }
        return (int)value;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes) sb.Append(b is >= 32 and < 127 ? (char)b : $"\\x{b:x2}");
        return sb.ToString();
    }

    private static InvalidDataException Bad(string name, string what) => new($"{name}: {what}");
}
