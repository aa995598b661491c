using NetBlocks.Kernels;

namespace NetBlocks.Cuda;

/// <summary>An <see cref="ImageResample"/> as the kernel reads it: sizes, taps per axis, and the offsets of its parts in the taps buffer.</summary>
internal struct ResampleShape
{
    public int InHeight, InWidth, OutHeight, OutWidth, RowTaps, ColumnTaps, RowCoefficients, ColumnStart, ColumnCoefficients;

    public ResampleShape(ImageResample r)
    {
        (InHeight, InWidth, OutHeight, OutWidth) = (r.InHeight, r.InWidth, r.OutHeight, r.OutWidth);
        (RowTaps, ColumnTaps) = (r.Rows.Taps, r.Columns.Taps);
        RowCoefficients = OutHeight;                           // row starts at 0
        ColumnStart = RowCoefficients + OutHeight * RowTaps;
        ColumnCoefficients = ColumnStart + OutWidth;
    }
}
