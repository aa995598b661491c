using BenchmarkDotNet.Attributes;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Benchmarks;

/// <summary>
/// One 3×3 convolution layer (padding 1, with bias) as training runs it: forward, backward to the input, backward to
/// the weights and bias. N = 32, 64 → 64 channels, 56×56: 3.7 GMACs per pass, 22 GFLOP per iteration (3 passes).
/// `dotnet run -c Release --project bench/NetBlocks.Benchmarks -- --filter '*ConvBenchmarks*' --job short`
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    [Params(1, 2)]
    public int Threads;

    private readonly ConvGeometry _g = new(N: 32, C: 64, H: 56, W: 56, OC: 64, KH: 3, KW: 3, Stride: 1, Padding: 1, Groups: 1);
    private float[] _x = [], _w = [], _b = [], _y = [], _dx = [], _dw = [], _db = [];
    private ExecutionContext? _context;

    [GlobalSetup]
    public void Setup()
    {
        _context = new ExecutionContext(Threads);
        var rng = new RandomGenerator(1);
        float[] Rand(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = rng.NextFloat() - 0.5f; return a; }
        _x = Rand(_g.N * _g.C * _g.H * _g.W);
        _w = Rand(_g.OC * _g.PatchSize);
        _b = Rand(_g.OC);
        _y = new float[_g.N * _g.OC * _g.OutPlane];
        _dx = new float[_x.Length];
        _dw = new float[_w.Length];
        _db = new float[_g.OC];
    }

    [GlobalCleanup]
    public void Cleanup() => _context?.Dispose();

    [Benchmark]
    public void Forward()
    {
        using (_context!.Enter())
            Convolution.Forward(_x, 0, _w, 0, _b, 0, _y, 0, _g);
    }

    /// <summary>Forward, then dx and dW/db with the forward output standing in for dy.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        using var inForce = _context!.Enter();
        Convolution.Forward(_x, 0, _w, 0, _b, 0, _y, 0, _g);
        Convolution.BackwardData(_y, 0, _w, 0, _dx, 0, _g);
        Convolution.BackwardWeight(_y, 0, _x, 0, _dw, 0, _db, 0, _g);
    }
}
