using System.Text;

namespace NetBlocks.Reporting;

/// <summary>
/// A plain-text table: a header row, a dashed rule, then the rows, each column padded to its widest cell; columns are
/// separated by two spaces, numeric columns right-aligned. No trailing spaces.
/// </summary>
public sealed class TextTable
{
    private readonly string[] _headers;
    private readonly bool[] _right;
    private readonly List<string[]> _rows = new();

    public TextTable(params string[] headers)
    {
        _headers = headers;
        _right = new bool[headers.Length];
    }

    /// <summary>Right-aligns the given columns (by index).</summary>
    public TextTable AlignRight(params int[] columns)
    {
        foreach (var c in columns) _right[c] = true;
        return this;
    }

    /// <summary>Adds a row; missing cells are empty, extra cells are an error.</summary>
    public TextTable AddRow(params string[] cells)
    {
        if (cells.Length > _headers.Length)
            throw new ArgumentException($"row has {cells.Length} cells, the table {_headers.Length} columns");
        _rows.Add([.. cells, .. Enumerable.Repeat("", _headers.Length - cells.Length)]);
        return this;
    }

    public int RowCount => _rows.Count;

    public override string ToString()
    {
        var widths = _headers.Select((h, i) => _rows.Select(r => r[i].Length).Prepend(h.Length).Max()).ToArray();
        var sb = new StringBuilder();
        AppendLine(sb, _headers, widths);
        AppendLine(sb, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in _rows) AppendLine(sb, row, widths);
        return sb.ToString();
    }

    private void AppendLine(StringBuilder sb, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0) line.Append("  ");
            line.Append(_right[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
        }
        sb.Append(line.ToString().TrimEnd()).Append('\n');
    }
}
