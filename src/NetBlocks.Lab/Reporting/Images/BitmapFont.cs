namespace NetBlocks.Reporting.Images;

/// <summary>
/// A 5x7 pixel font for printable ASCII (32..126) in a 6x10 cell: 5 columns of ink plus 1 of spacing; 7 rows
/// from the cap line to the baseline, then 2 descender rows (g j p q y, and '_'), then 1 of line spacing.
/// Each glyph is its rows top to bottom as two hex digits, bit 4 = leftmost column (the style of the HD44780 LCD
/// character ROM). A scale factor s draws each font pixel as an s x s block.
/// </summary>
public static class BitmapFont
{
    public const int GlyphWidth = 5;
    /// <summary>Height of capitals and digits (baseline to cap line).</summary>
    public const int CapHeight = 7;
    public const int Descent = 2;
    public const int Advance = 6;
    public const int LineHeight = 10;

    private static readonly string[] Glyphs =
    [
        "00000000000000",      // ' '
        "04040404000004",      // !
        "0A0A0A00000000",      // "
        "0A0A1F0A1F0A0A",      // #
        "040F140E051E04",      // $
        "18190204081303",      // %
        "0C12140815120D",      // &
        "0C040800000000",      // '
        "02040808080402",      // (
        "08040202020408",      // )
        "0004150E150400",      // *
        "0004041F040400",      // +
        "000000000C0408",      // ,
        "0000001F000000",      // -
        "00000000000C0C",      // .
        "00010204081000",      // /
        "0E11131519110E",      // 0
        "040C040404040E",      // 1
        "0E11010204081F",      // 2
        "1F02040201110E",      // 3
        "02060A121F0202",      // 4
        "1F101E0101110E",      // 5
        "0608101E11110E",      // 6
        "1F010204080808",      // 7
        "0E11110E11110E",      // 8
        "0E11110F01020C",      // 9
        "000C0C000C0C00",      // :
        "000C0C000C0408",      // ;
        "02040810080402",      // <
        "00001F001F0000",      // =
        "08040201020408",      // >
        "0E110102040004",      // ?
        "0E11010D15150E",      // @
        "0E1111111F1111",      // A
        "1E11111E11111E",      // B
        "0E11101010110E",      // C
        "1C12111111121C",      // D
        "1F10101E10101F",      // E
        "1F10101E101010",      // F
        "0E11101711110F",      // G
        "1111111F111111",      // H
        "0E04040404040E",      // I
        "0702020202120C",      // J
        "11121418141211",      // K
        "1010101010101F",      // L
        "111B1515111111",      // M
        "11111915131111",      // N
        "0E11111111110E",      // O
        "1E11111E101010",      // P
        "0E11111115120D",      // Q
        "1E11111E141211",      // R
        "0F10100E01011E",      // S
        "1F040404040404",      // T
        "1111111111110E",      // U
        "11111111110A04",      // V
        "1111111515150A",      // W
        "11110A040A1111",      // X
        "1111110A040404",      // Y
        "1F01020408101F",      // Z
        "0E08080808080E",      // [
        "00100804020100",      // \
        "0E02020202020E",      // ]
        "040A1100000000",      // ^
        "000000000000001F",    // _ (just below the baseline)
        "08040200000000",      // `
        "00000E010F110F",      // a
        "1010161911111E",      // b
        "00000E1010110E",      // c
        "01010D1311110F",      // d
        "00000E111F100E",      // e
        "0609081C080808",      // f
        "00000F1111110F010E",  // g
        "10101619111111",      // h
        "04000C0404040E",      // i
        "02000602020202120C",  // j
        "10101214181412",      // k
        "0C04040404040E",      // l
        "00001A15151111",      // m
        "00001619111111",      // n
        "00000E1111110E",      // o
        "00001E1111111E1010",  // p
        "00000F1111110F0101",  // q
        "00001619101010",      // r
        "00000E100E011E",      // s
        "08081C08080906",      // t
        "0000111111130D",      // u
        "00001111110A04",      // v
        "0000111115150A",      // w
        "0000110A040A11",      // x
        "0000111111110F010E",  // y
        "00001F0204081F",      // z
        "02040408040402",      // {
        "04040404040404",      // |
        "08040402040408",      // }
        "00000815020000",      // ~
    ];

    /// <summary>Rows of each glyph (CapHeight + Descent of them), bit 4 = leftmost column.</summary>
    private static readonly byte[][] Rows = Glyphs.Select(Parse).ToArray();

    private static byte[] Parse(string hex)
    {
        var rows = new byte[CapHeight + Descent];
        Convert.FromHexString(hex).CopyTo(rows, 0);
        return rows;
    }

    /// <summary>Width in pixels of <paramref name="text"/> at <paramref name="scale"/> (no trailing spacing column).</summary>
    public static int MeasureWidth(string text, int scale = 1) =>
        text.Length == 0 ? 0 : (text.Length * Advance - (Advance - GlyphWidth)) * scale;

    /// <summary>True when font pixel (<paramref name="column"/>, <paramref name="row"/>) of <paramref name="c"/> is ink;
    /// characters outside 32..126 draw as '?'.</summary>
    public static bool IsSet(char c, int column, int row)
    {
        if (c < ' ' || c > '~') c = '?';
        if ((uint)column >= GlyphWidth || (uint)row >= CapHeight + Descent) return false;
        return (Rows[c - ' '][row] & (0x10 >> column)) != 0;
    }
}
