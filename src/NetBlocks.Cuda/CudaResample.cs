using ILGPU;
using ILGPU.Runtime;
using NetBlocks.Kernels;

namespace NetBlocks.Cuda;

/// <summary>
/// The data loader's resize on the device (<see cref="ImageResample"/>: Pillow's bilinear resize of 8-bit images, then
/// the byte → float table), a thread per output pixel: it computes the horizontal pass for each of its
/// <c>Rows.Taps</c> source rows (rounded to a byte, as the CPU's first pass stores it), sums them with the vertical
/// weights, rounds again and looks the byte up in the table. Integer sums, which are the same in any order, so the
/// output equals the CPU's bit for bit. The taps and the table are uploaded once per distinct resize (sizes and table:
/// every loader of a run, train and validation, shares one) and kept for the context's life (a few KiB each; freed with
/// the context's pool). Thread-safe: the data loader's prefetch threads
/// call it while the training thread queues its own kernels on the same stream.
/// </summary>
public sealed class CudaResample
{
    private readonly CudaContext _context;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ResampleShape> _kernel;
    private readonly List<(ImageResample Resample, DeviceBuffer<int> Taps, DeviceBuffer<float> Table)> _uploaded = [];
    private readonly object _gate = new();

    internal CudaResample(CudaContext context)
    {
        _context = context;
        _kernel = context.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ResampleShape>(Kernel);
    }

    /// <summary>Resizes <paramref name="source"/> (images × InHeight × InWidth byte values) into <paramref name="destination"/> (images × OutHeight × OutWidth).</summary>
    public void Apply(ArrayView<int> source, ArrayView<float> destination, ImageResample resample)
    {
        const string op = "cuda resample_images";
        long inSize = (long)resample.InHeight * resample.InWidth, outSize = (long)resample.OutHeight * resample.OutWidth;
        long images = source.Length / inSize;
        if (source.Length != images * inSize || destination.Length != images * outSize)
            throw new ArgumentException($"{op}: {source.Length} source and {destination.Length} destination values are not a batch of " +
                                        $"{resample.InHeight}×{resample.InWidth} → {resample.OutHeight}×{resample.OutWidth} images");
        if (destination.Length > int.MaxValue) throw new ArgumentException($"{op}: {destination.Length} outputs exceed a kernel launch");
        if (destination.Length == 0) return;
        var (taps, table) = Uploaded(resample);
        _kernel((int)destination.Length, source, destination, taps.View, table.View, new ResampleShape(resample));
    }

    /// <summary>The taps (row starts, row weights, column starts, column weights, in <see cref="ResampleShape"/>'s layout) and the table on the device.</summary>
    private (DeviceBuffer<int> Taps, DeviceBuffer<float> Table) Uploaded(ImageResample resample)
    {
        lock (_gate)
        {
            foreach (var (known, knownTaps, knownTable) in _uploaded)
                if (Same(known, resample)) return (knownTaps, knownTable);
            var rows = resample.Rows; var columns = resample.Columns;
            int[] taps = [.. rows.Start, .. rows.Coefficients, .. columns.Start, .. columns.Coefficients];
            var tapBuffer = _context.Upload(taps);
            DeviceBuffer<float> tableBuffer;
            try { tableBuffer = _context.Upload(resample.Table.ToArray()); }
            catch
            {
                tapBuffer.Dispose();
                throw;
            }
            _uploaded.Add((resample, tapBuffer, tableBuffer));
            return (tapBuffer, tableBuffer);
        }
    }

    /// <summary>The same resize: the taps are a function of the sizes (<see cref="ResampleAxis.PillowBilinear"/>), so sizes and table decide.</summary>
    private static bool Same(ImageResample a, ImageResample b) =>
        ReferenceEquals(a, b) ||
        (a.InHeight == b.InHeight && a.InWidth == b.InWidth && a.OutHeight == b.OutHeight && a.OutWidth == b.OutWidth &&
         a.Table.SequenceEqual(b.Table));

    private static void Kernel(Index1D index, ArrayView<int> source, ArrayView<float> destination, ArrayView<int> taps,
                               ArrayView<float> table, ResampleShape s)
    {
        const int Half = 1 << (ResampleAxis.PrecisionBits - 1);
        int i = index;
        int plane = s.OutHeight * s.OutWidth;
        int image = i / plane, r = i - image * plane;
        int yy = r / s.OutWidth, x = r - yy * s.OutWidth;
        int firstRow = taps[yy], firstColumn = taps[s.ColumnStart + x];
        int rowWeights = s.RowCoefficients + yy * s.RowTaps, columnWeights = s.ColumnCoefficients + x * s.ColumnTaps;
        int acc = Half;
        for (int a = 0; a < s.RowTaps; a++)
        {
            int p = (image * s.InHeight + firstRow + a) * s.InWidth + firstColumn;
            int h = Half;
            for (int b = 0; b < s.ColumnTaps; b++) h += source[p + b] * taps[columnWeights + b];
            acc += Clip8(h) * taps[rowWeights + a];
        }
        destination[i] = table[Clip8(acc)];
    }

    /// <summary>(acc ≫ 22) clamped to [0, 255], as <see cref="ResampleAxis.Clip8"/>.</summary>
    private static int Clip8(int acc)
    {
        int v = acc >> ResampleAxis.PrecisionBits;
        return v < 0 ? 0 : v > 255 ? 255 : v;
    }
}
