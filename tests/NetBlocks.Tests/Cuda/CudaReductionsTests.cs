using NetBlocks.Backends;
using NetBlocks.Cuda;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// The first maximum along any dimension (indices and values, ties and NaNs), its gradient, and the sum of squares of
/// gradient clipping, through <see cref="CudaBackend"/> (cuda:9 over the CPU accelerator, 4-thread reductions) against
/// <see cref="CpuBackend"/>: indices exactly, values and gradients exactly (they are copies), the sum of squares within
/// rounding of the CPU's element-order sum and bit for bit on a second run.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaReductionsTests(CudaFixture fixture)
{
    private readonly Device _device = fixture.Backend.Device;

    /// <summary>x (3, 5, 7) with a tie, a NaN inside a row and a NaN in first place along each dimension.</summary>
    private static Tensor Input()
    {
        var values = CudaAssert.Random(3 * 5 * 7, 401);
        values[1 * 35 + 2 * 7 + 3] = values[1 * 35 + 4 * 7 + 3] = 9f;   // tie along dim 1 at (1, ·, 3)
        values[2 * 35 + 1 * 7 + 0] = values[2 * 35 + 1 * 7 + 5] = 9f;   // tie along dim 2 at (2, 1, ·)
        values[0 * 35 + 3 * 7 + 6] = float.NaN;                          // a NaN in the middle of several lines
        values[0 * 35 + 0 * 7 + 0] = float.NaN;                          // a NaN first along every dimension
        return Tensor.FromArray(values, 3, 5, 7);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void The_first_maximum_along_a_dimension_and_its_gradient_match_the_cpu(int dim)
    {
        var x = Input();
        int[] reduced = [.. x.ShapeArray.Where((_, d) => d != dim)];
        var indices = Tensor.EmptyInt32(Device.Cpu, reduced);
        var values = Tensor.Empty(reduced);
        CpuBackend.Instance.MaxAlong(x, dim, values, indices);

        var dx = x.To(_device);
        var dIndices = Tensor.EmptyInt32(_device, reduced);
        var dValues = Tensor.Empty(_device, reduced);
        fixture.Backend.MaxAlong(dx, dim, dValues, dIndices);
        Assert.Equal(indices.ToInt32Array(), dIndices.ToInt32Array());
        Assert.Equal(values.ToArray(), dValues.ToArray()); // NaN equals NaN here
        var onlyIndices = Tensor.EmptyInt32(_device, reduced);
        fixture.Backend.MaxAlong(dx, dim, null, onlyIndices);
        Assert.Equal(indices.ToInt32Array(), onlyIndices.ToInt32Array());

        var dy = Tensor.FromArray(CudaAssert.Random(values.Numel, 402), reduced);
        var gradient = Tensor.Empty(x.ShapeArray);
        CpuBackend.Instance.MaxAlongBackward(dy, indices, dim, gradient);
        var dGradient = Tensor.Full(_device, x.ShapeArray, 7f); // overwritten, zeros included
        fixture.Backend.MaxAlongBackward(dy.To(_device), dIndices, dim, dGradient);
        Assert.Equal(gradient.ToArray(), dGradient.ToArray());
    }

    [Fact]
    public void Ties_keep_the_first_and_a_leading_nan_stays()
    {
        var x = Tensor.FromArray([float.NaN, 5f, 2f, 5f, 1f, 5f], 2, 3).To(_device);
        var values = Tensor.Empty(_device, 2);
        var indices = Tensor.EmptyInt32(_device, 2);
        fixture.Backend.MaxAlong(x, 1, values, indices);
        Assert.Equal([0, 0], indices.ToInt32Array());
        Assert.True(float.IsNaN(values.ToArray()[0]));
        Assert.Equal(5f, values.ToArray()[1]);
    }

    [Fact]
    public void A_dimension_of_size_zero_has_no_maximum()
    {
        using var x = fixture.Context.Rent<float>(1);
        using var indices = fixture.Context.Rent<int>(3);
        var e = Assert.Throws<ArgumentException>(() => fixture.Context.Reductions.MaxAlong(x.View.SubView(0, 0), x.View.SubView(0, 0), indices.View, 3, 0, 1));
        Assert.Equal("cuda max: a dimension of size 0 has no maximum", e.Message);
    }

    /// <summary>Lengths from one element to more than the first pass's groups can cover one element a thread.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(37)]
    [InlineData(1000)]
    [InlineData(20011)]
    public void The_sum_of_squares_matches_the_cpu_and_repeats_bit_for_bit(int length)
    {
        var x = Tensor.FromArray(CudaAssert.Random(length, 403, 3f), length);
        var d = x.To(_device);
        double expected = CpuBackend.Instance.SumOfSquares(x, 2.5);
        double actual = fixture.Backend.SumOfSquares(d, 2.5);
        CudaAssert.Close([expected], [actual], $"sum of squares of {length}", tolerance: 1e-12);
        Assert.Equal(actual, fixture.Backend.SumOfSquares(d, 2.5));
        Assert.Equal(CpuBackend.Instance.SumOfSquares(x, 0), fixture.Backend.SumOfSquares(d, 0), 1e-12 * length);
        Assert.Equal(-1.5, fixture.Backend.SumOfSquares(Tensor.Empty(_device, 0), -1.5));
    }
}
