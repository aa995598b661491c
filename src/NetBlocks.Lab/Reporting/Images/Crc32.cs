namespace NetBlocks.Reporting.Images;

/// <summary>
/// CRC-32 as PNG and zlib's crc32() compute it (ISO-HDLC: reflected polynomial 0xEDB88320, initial value and final
/// xor 0xFFFFFFFF). System.IO.Hashing is not in the shared framework, and a 256-entry table is eight lines.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// The CRC of the concatenation <c>previous-data ++ data</c>, given <paramref name="crc"/> = CRC of the previous
    /// data (0 for none): <c>Append(Compute(a), b) == Compute(a ++ b)</c>.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
