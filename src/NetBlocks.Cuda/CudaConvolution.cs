using ILGPU;
using ILGPU.Runtime;
using NetBlocks.Kernels;

namespace NetBlocks.Cuda;

/// <summary>
/// 2-D convolution as implicit GEMM on the device, the three products of the engine's <c>Convolution</c> (same
/// geometry, same layouts: x (N, C, H, W), w (OC, C/groups, KH, KW), y (N, OC, OH, OW)), each one
/// <see cref="GemmTiles"/> launch with the group as the batch index and the column matrix gathered from the image while
/// the tiles load (no im2col buffer):
/// <list type="bullet">
/// <item>forward, per group: y (OC/g × N·OH·OW) = W (OC/g × C/g·KH·KW) · cols(x), plus the bias;</item>
/// <item>input gradient, per group: dx (C/g × N·H·W) = Wᵀ · the dy entries each input element reaches (stride and padding
/// folded into the gather, so dx is written once, with no atomics);</item>
/// <item>weight gradient, per group: dw (OC/g × C/g·KH·KW) = dy (OC/g × N·OH·OW) · cols(x)ᵀ; the bias gradient is a
/// <see cref="ChannelReduction"/> of dy.</item>
/// </list>
/// Outputs are overwritten. Every sum runs over its depth in index order, so results repeat bit for bit.
/// </summary>
public sealed class CudaConvolution
{
    private readonly CudaContext _context;
    private readonly Action<KernelConfig, ForwardOperands, int, int, int, int> _forward;
    private readonly Action<KernelConfig, DataOperands, int, int, int, int> _data;
    private readonly Action<KernelConfig, WeightOperands, int, int, int, int> _weight;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> _biasGradient;

    internal CudaConvolution(CudaContext context)
    {
        _context = context;
        var accelerator = context.Accelerator;
        _forward = accelerator.LoadStreamKernel<ForwardOperands, int, int, int, int>(GemmTiles.Kernel);
        _data = accelerator.LoadStreamKernel<DataOperands, int, int, int, int>(GemmTiles.Kernel);
        _weight = accelerator.LoadStreamKernel<WeightOperands, int, int, int, int>(GemmTiles.Kernel);
        _biasGradient = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int>(BiasGradientKernel);
    }

    /// <summary>y = conv(x, w) + bias; <paramref name="bias"/> may be empty (no bias).</summary>
    public void Forward(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvGeometry g)
    {
        const string op = "cuda conv2d forward";
        g.Validate(op);
        Check(op, "x", x.Length, g.InputElements);
        Check(op, "w", w.Length, g.WeightElements);
        Check(op, "y", y.Length, g.OutputElements);
        if (bias.Length != 0) Check(op, "bias", bias.Length, g.OC);
        if (g.N == 0) return;
        var operands = new ForwardOperands { X = x, W = w, Bias = bias.OrEmptyOf(w), Y = y, HasBias = bias.Length != 0 ? 1 : 0, Shape = new ConvShape(g) };
        int columns = Columns(op, g.N, g.OutPlane);
        _forward(GemmTiles.Launch(_context.Tiling, g.CoutPerGroup, columns, g.Groups), operands, g.CoutPerGroup, columns, g.PatchSize, _context.Tiling.TileK);
    }

    /// <summary>dx = ∂L/∂x given dy.</summary>
    public void BackwardData(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, ConvGeometry g)
    {
        const string op = "cuda conv2d input gradient";
        g.Validate(op);
        Check(op, "dy", dy.Length, g.OutputElements);
        Check(op, "w", w.Length, g.WeightElements);
        Check(op, "dx", dx.Length, g.InputElements);
        if (g.N == 0) return;
        var operands = new DataOperands { Dy = dy, W = w, Dx = dx, Shape = new ConvShape(g) };
        int columns = Columns(op, g.N, g.H * g.W);
        int depth = checked(g.CoutPerGroup * g.KH * g.KW);
        _data(GemmTiles.Launch(_context.Tiling, g.CinPerGroup, columns, g.Groups), operands, g.CinPerGroup, columns, depth, _context.Tiling.TileK);
    }

    /// <summary>dw = Σₙ dy[n] · cols(x[n])ᵀ per group; db = Σ dy over n, h, w (<paramref name="db"/> may be empty).</summary>
    public void BackwardWeight(ArrayView<float> dy, ArrayView<float> x, ArrayView<float> dw, ArrayView<float> db, ConvGeometry g)
    {
        const string op = "cuda conv2d weight gradient";
        g.Validate(op);
        Check(op, "dy", dy.Length, g.OutputElements);
        Check(op, "x", x.Length, g.InputElements);
        Check(op, "dw", dw.Length, g.WeightElements);
        if (db.Length != 0) Check(op, "db", db.Length, g.OC);
        var operands = new WeightOperands { Dy = dy, X = x, Dw = dw, Shape = new ConvShape(g) };
        int depth = Columns(op, g.N, g.OutPlane);
        _weight(GemmTiles.Launch(_context.Tiling, g.CoutPerGroup, g.PatchSize, g.Groups), operands, g.CoutPerGroup, g.PatchSize, depth, _context.Tiling.TileK);
        if (db.Length != 0)
            _biasGradient(ChannelReduction.Launch(g.OC, _context.Tiling.ReduceGroup), dy, db, g.N, g.OC, g.OutPlane);
    }

    private static void Check(string op, string name, long length, long needed)
    {
        if (length < needed) throw new ArgumentException($"{op}: {name} has {length} elements, the geometry needs {needed}");
    }

    /// <summary>N · plane as the GEMM's column count (or depth), which must fit an int.</summary>
    private static int Columns(string op, int n, int plane)
    {
        long columns = (long)n * plane;
        if (columns > int.MaxValue) throw new ArgumentException($"{op}: {n} samples × {plane} positions exceed a GEMM dimension; split the batch");
        return (int)columns;
    }

    /// <summary>db[c] = Σ dy[n, c, s]: a <see cref="ChannelReduction"/> per output channel.</summary>
    private static void BiasGradientKernel(ArrayView<float> dy, ArrayView<float> db, int n, int c, int s)
    {
        int channel = Grid.IdxX;
        long count = (long)n * s;
        double sum = 0;
        for (long e = Group.IdxX; e < count; e += Group.DimX) sum += dy[ChannelReduction.Index(channel, c, s, e)];
        double total = ChannelReduction.Sum(SharedMemory.GetDynamic<double>(), sum);
        if (Group.IdxX == 0) db[channel] = (float)total;
    }

    /// <summary>A = W of group z (OC/g × patch), B = cols(x) of group z (patch × N·OH·OW), C = y (+ bias).</summary>
    internal struct ForwardOperands : IGemmOperands
    {
        public ArrayView<float> X, W, Bias, Y;
        public int HasBias;
        public ConvShape Shape;

        public readonly float A(int z, int row, int depth) => W[((long)z * Shape.CoutPerGroup + row) * Shape.PatchSize + depth];

        public readonly float B(int z, int depth, int column) => Shape.Gather(X, z, pixel: column, patch: depth);

        public readonly void Store(int z, int row, int column, float value)
        {
            var s = Shape;
            int sample = column / s.OutPlane, position = column - sample * s.OutPlane;
            int oc = z * s.CoutPerGroup + row;
            Y[((long)sample * s.OC + oc) * s.OutPlane + position] = HasBias != 0 ? value + Bias[oc] : value;
        }
    }

    /// <summary>A = Wᵀ of group z (C/g × OC/g·KH·KW), B = the dy each input position reaches (… × N·H·W), C = dx.</summary>
    internal struct DataOperands : IGemmOperands
    {
        public ArrayView<float> Dy, W, Dx;
        public ConvShape Shape;

        public readonly float A(int z, int row, int depth)
        {
            var s = Shape;
            int oc = depth / s.Window, tap = depth - oc * s.Window;
            return W[(((long)z * s.CoutPerGroup + oc) * s.CinPerGroup + row) * s.Window + tap];
        }

        public readonly float B(int z, int depth, int column)
        {
            var s = Shape;
            int sample = column / s.InPlane, position = column - sample * s.InPlane;
            int iy = position / s.W, ix = position - iy * s.W;
            int oc = depth / s.Window, tap = depth - oc * s.Window;
            int ky = tap / s.KW, kx = tap - ky * s.KW;
            int ty = iy + s.Padding - ky, tx = ix + s.Padding - kx;
            if (ty < 0 || tx < 0) return 0f;
            int oy = ty / s.Stride, ox = tx / s.Stride;
            if (oy * s.Stride != ty || ox * s.Stride != tx || oy >= s.OH || ox >= s.OW) return 0f;
            return Dy[(((long)sample * s.OC + z * s.CoutPerGroup + oc) * s.OH + oy) * s.OW + ox];
        }

        public readonly void Store(int z, int row, int column, float value)
        {
            var s = Shape;
            int sample = column / s.InPlane, position = column - sample * s.InPlane;
            Dx[((long)sample * s.C + z * s.CinPerGroup + row) * s.InPlane + position] = value;
        }
    }

    /// <summary>A = dy of group z (OC/g × N·OH·OW), B = cols(x)ᵀ of group z (N·OH·OW × patch), C = dw.</summary>
    internal struct WeightOperands : IGemmOperands
    {
        public ArrayView<float> Dy, X, Dw;
        public ConvShape Shape;

        public readonly float A(int z, int row, int depth)
        {
            var s = Shape;
            int sample = depth / s.OutPlane, position = depth - sample * s.OutPlane;
            return Dy[((long)sample * s.OC + z * s.CoutPerGroup + row) * s.OutPlane + position];
        }

        public readonly float B(int z, int depth, int column) => Shape.Gather(X, z, pixel: depth, patch: column);

        public readonly void Store(int z, int row, int column, float value)
            => Dw[((long)z * Shape.CoutPerGroup + row) * Shape.PatchSize + column] = value;
    }
}
