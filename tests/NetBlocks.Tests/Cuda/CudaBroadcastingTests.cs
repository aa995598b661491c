using NetBlocks.Backends;
using NetBlocks.Cuda;
using NetBlocks.Tensors;
using static NetBlocks.Kernels.Broadcasting;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// Binary ops with broadcasting and the broadcast gradient's reduction through <see cref="NetBlocks.Cuda.CudaBackend"/>
/// (cuda:9 over the CPU accelerator, 8-thread groups) against <see cref="CpuBackend"/>: every broadcasting pattern the
/// CPU accepts — equal shapes, a channel vector, leading dimensions, size-1 dimensions in the middle, a scalar on either
/// side, both sides broadcasting — plus ranks whose coalesced dimensions exceed what a kernel takes (the host walks the
/// leading ones). Element counts leave remainders in the thread groups. A reduction of few elements per result sums
/// them in the CPU's order in double, so it is asserted bit for bit; one of many sums them with a group's tree, so it is
/// asserted within 1e-4 of the CPU and bit for bit on a second run.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaBroadcastingTests(CudaFixture fixture)
{
    private readonly Device _device = fixture.Backend.Device;

    /// <summary>Pairs of shapes the CPU broadcasts, each named by its pattern.</summary>
    public static TheoryData<string, int[], int[]> Patterns => new()
    {
        { "equal shapes", [2, 3, 5], [2, 3, 5] },
        { "a channel vector", [2, 3, 4, 5], [1, 3, 1, 1] },
        { "leading dimensions added", [2, 3, 4, 5], [5] },
        { "leading dimensions of a matrix", [3, 4, 5], [4, 5] },
        { "size-1 dimensions in the middle", [2, 3, 4, 5], [2, 1, 4, 1] },
        { "a size-1 dimension between kept ones", [3, 1, 7], [3, 5, 7] },
        { "a scalar on the right", [2, 3, 7], [] },
        { "a scalar on the left", [], [3, 7] },
        { "a one-element vector", [1], [37] },
        { "both sides broadcasting", [3, 1, 5], [1, 4, 1] },
        { "a column against a row", [6, 1], [7] },
        { "squeeze-excitation", [2, 3, 5, 3], [2, 3, 1, 1] },
        { "eight alternating dimensions (two walked by the host)", [2, 3, 2, 3, 2, 3, 2, 3], [2, 1, 2, 1, 2, 1, 2, 1] },
        { "scalars", [], [] },
    };

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Binary_ops_with_broadcasting_match_the_cpu(string pattern, int[] xShape, int[] yShape)
    {
        var zShape = ShapeUtil.Broadcast(xShape, yShape);
        var x = Tensor.FromArray(CudaAssert.Random(Count(xShape), 301), xShape);
        // divisors away from 0, so that quotients stay of a size the tolerance reads well
        var y = Tensor.FromArray(CudaAssert.Random(Count(yShape), 302).Select(v => v + MathF.Sign(v) * 0.5f).ToArray(), yShape);
        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            var expected = Tensor.Empty(zShape);
            CpuBackend.Instance.Binary(op, x, y, expected);
            var actual = Tensor.Empty(_device, zShape);
            fixture.Backend.Binary(op, x.To(_device), y.To(_device), actual);
            CudaAssert.Close(expected.ToArray(), actual.ToArray(), $"{op} ({pattern})");
        }
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Broadcast_gradients_reduce_as_on_the_cpu(string pattern, int[] xShape, int[] yShape)
    {
        var gShape = ShapeUtil.Broadcast(xShape, yShape);
        var g = Tensor.FromArray(CudaAssert.Random(Count(gShape), 303), gShape);
        foreach (var shape in new[] { xShape, yShape })
        {
            var expected = Tensor.Empty(shape);
            CpuBackend.Instance.ReduceTo(g, expected);
            var deviceG = g.To(_device);
            var actual = Tensor.Empty(_device, shape);
            fixture.Backend.ReduceTo(deviceG, actual);
            string what = $"reduce {ShapeUtil.Format(gShape)} to {ShapeUtil.Format(shape)} ({pattern})";
            if (Count(shape) == 0 || Count(gShape) / Count(shape) < GroupedFrom)
                Assert.True(expected.ToArray().SequenceEqual(actual.ToArray()), what + ": not the CPU's bits");
            else
            {
                CudaAssert.Close(expected.ToArray(), actual.ToArray(), what);
                var again = Tensor.Empty(_device, shape);
                fixture.Backend.ReduceTo(deviceG, again);
                Assert.True(actual.ToArray().SequenceEqual(again.ToArray()), what + ": a second run differs");
            }
        }
    }

    /// <summary>Elements per result from which the fixture's reductions use a group (4 groups of 4 threads' worth).</summary>
    private static readonly int GroupedFrom = CudaBroadcasting.GroupedFrom * CudaFixture.Tiling.ReduceGroup;

    /// <summary>
    /// Fourteen alternating dimensions: seven kept and seven reduced after coalescing, one more of each than a kernel
    /// takes, so the host walks a leading kept dimension (separate results) and a leading reduced one (sums carried in
    /// double from one launch to the next). The fixture's 4-thread groups take the grouped path (64 elements a launch);
    /// a context with 64-thread reduction groups takes the per-thread one, which keeps the CPU's bits across launches.
    /// </summary>
    [Fact]
    public void A_reduction_beyond_the_kernels_dimensions_carries_its_sums_across_launches()
    {
        int[] gShape = [.. Enumerable.Repeat(2, 14)];
        int[] kept = [.. Enumerable.Range(0, 14).Select(d => d % 2 == 0 ? 2 : 1)];
        var values = CudaAssert.Random(Count(gShape), 304);
        var g = Tensor.FromArray(values, gShape);
        using var wide = CudaContext.CreateCpu(new CudaTiling(2, 2, 2, ReduceGroup: 64), warpSize: 4, warpsPerGroup: 16);
        using var wideG = wide.Upload(values);
        foreach (var shape in new[] { kept, kept.Select(s => 3 - s).ToArray() })
        {
            var expected = Tensor.Empty(shape);
            CpuBackend.Instance.ReduceTo(g, expected);
            var actual = Tensor.Empty(_device, shape);
            fixture.Backend.ReduceTo(g.To(_device), actual);
            CudaAssert.Close(expected.ToArray(), actual.ToArray(), $"grouped reduce to {ShapeUtil.Format(shape)}");

            using var wideResult = wide.Rent<float>(Count(shape));
            wide.Broadcasting.ReduceTo(wideG.View, gShape, wideResult.View, shape);
            Assert.True(expected.ToArray().SequenceEqual(wideResult.Download()), $"per-thread reduce to {ShapeUtil.Format(shape)}: not the CPU's bits");
        }
    }

    [Fact]
    public void Empty_broadcasts_write_nothing_and_empty_reductions_are_zero()
    {
        var z = Tensor.Empty(_device, 0, 3);
        fixture.Backend.Binary(BinaryOp.Divide, Tensor.Zeros(0, 3).To(_device), Tensor.Ones(3).To(_device), z);
        Assert.Empty(z.ToArray());
        var result = Tensor.Ones(3).To(_device);
        fixture.Backend.ReduceTo(Tensor.Zeros(0, 3).To(_device), result);
        Assert.Equal([0f, 0f, 0f], result.ToArray());
    }

    [Fact]
    public void Shapes_that_do_not_broadcast_are_refused_naming_them()
    {
        var broadcasting = fixture.Context.Broadcasting;
        using var a = fixture.Context.Rent<float>(6);
        using var b = fixture.Context.Rent<float>(3);
        var e = Assert.Throws<ArgumentException>(() => broadcasting.ReduceTo(a.View, [2, 3], b.View, [3, 1]));
        Assert.Equal("cuda reduce_to: shape (3, 1) does not broadcast to the gradient's (2, 3)", e.Message);
        var w = Assert.Throws<ArgumentException>(() => broadcasting.Binary(BinaryOp.Add, a.View, [2, 3], b.View, [3], b.View, [3]));
        Assert.Equal("cuda add: the output has shape (3,), the broadcast of (2, 3) and (3,) is (2, 3)", w.Message);
        var n = Assert.Throws<ArgumentException>(() => broadcasting.Binary(BinaryOp.Add, a.View, [2, 2], b.View, [2], a.View, [2, 2]));
        Assert.Equal("cuda add: x has 6 elements for shape (2, 2)", n.Message);
    }

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);
}
