using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Tensors;
using static NetBlocks.Tests.Support.GradCheck;

namespace NetBlocks.Tests.Functional;

/// <summary>
/// relu(a + b) as one op (F.AddRelu, F.AddReluConsuming: the residual blocks' sum and ReLU) against F.Relu(F.Add(a, b)):
/// the same values and both operands' gradients bit for bit, written over the handed-over operand only when nothing
/// else holds or reads it, with one operand given twice, and against finite differences.
/// </summary>
public class AddReluTests
{
    private enum Kind { Unfused, Fresh, Consuming }

    private sealed record Result(float[] Y, float[] Da, float[] Db, bool WroteOverA);

    /// <summary>
    /// y = op(a·1, b·1) for leaves a and b (so that both operands are intermediates of the graph, as a block's branch
    /// and shortcut), then the gradients of Σ y·r.
    /// </summary>
    private static Result Run(Kind kind, int[] shape)
    {
        var a = Randn(1, shape);
        a.RequiresGrad = true;
        var b = Randn(2, shape);
        b.RequiresGrad = true;
        var ha = a * 1f;
        var hb = b * 1f;
        var buffer = ha.RawData;
        var y = kind switch
        {
            Kind.Unfused => F.Relu(F.Add(ha, hb)),
            Kind.Fresh => F.AddRelu(ha, hb),
            _ => F.AddReluConsuming(ha, hb),
        };
        bool wroteOverA = ReferenceEquals(buffer, y.RawData);
        var values = y.ToArray();
        (y * Randn(3, shape)).Sum().Backward();
        return new Result(values, a.Grad!.ToArray(), b.Grad!.ToArray(), wroteOverA);
    }

    [Theory]
    [InlineData(2, 3, 5, 7)]      // 210 elements: vector body and a scalar tail
    [InlineData(1, 1, 2, 3)]      // the tail only
    [InlineData(4, 16, 33, 33)]   // 69,696 elements: long enough to be cut in chunks over the threads
    public void FreshAndInPlaceEqualAddThenRelu(int n, int c, int h, int w)
    {
        var shape = new[] { n, c, h, w };
        var expected = Run(Kind.Unfused, shape);
        Assert.Contains(0f, expected.Y);
        Assert.Contains(expected.Y, v => v > 0);
        foreach (var kind in new[] { Kind.Fresh, Kind.Consuming })
        {
            var actual = Run(kind, shape);
            Assert.Equal(kind == Kind.Consuming, actual.WroteOverA);
            Assert.Equal(expected.Y, actual.Y);
            Assert.Equal(expected.Da, actual.Da);
            Assert.Equal(expected.Db, actual.Db);
        }
    }

    [Fact]
    public void LeavesAreNeverOverwrittenAndGetTheirGradients()
    {
        int[] shape = [3, 4, 5];
        var a = Randn(4, shape);
        a.RequiresGrad = true;
        var b = Randn(5, shape);
        b.RequiresGrad = true;
        var before = a.ToArray();
        var y = F.AddReluConsuming(a, b);
        Assert.NotSame(a.RawData, y.RawData);
        Assert.Equal(before, a.ToArray());
        var r = Randn(6, shape);
        var mask = y.ToArray().Select(v => v > 0).ToArray();
        (y * r).Sum().Backward();
        var expected = r.ToArray().Select((v, i) => mask[i] ? v : 0f).ToArray();
        Assert.Equal(expected, a.Grad!.ToArray());
        Assert.Equal(expected, b.Grad!.ToArray());
    }

    [Fact]
    public void OnlyOneOperandWantingAGradientGetsIt()
    {
        int[] shape = [2, 9];
        var a = Randn(7, shape);
        a.RequiresGrad = true;
        var b = Randn(8, shape);                   // a constant: no gradient
        var y = F.AddReluConsuming(a * 1f, b);
        var reference = F.Relu(F.Add(a * 1f, b));
        Assert.Equal(reference.ToArray(), y.ToArray());
        y.Sum().Backward();
        var expected = a.Grad!.ToArray();
        a.Grad = null;
        reference.Sum().Backward();
        Assert.Equal(a.Grad!.ToArray(), expected);
        Assert.Null(b.Grad);
    }

    [Fact]
    public void AnIntermediateThatAnotherBackwardReadsIsNotOverwritten()
    {
        int[] shape = [2, 3, 4];
        var a = Randn(9, shape);
        a.RequiresGrad = true;
        var scale = Randn(10, shape);
        scale.RequiresGrad = true;
        var h = a * 1f;
        var product = h * scale;                   // Mul's backward reads h for d(scale)
        var before = h.ToArray();
        var y = F.AddReluConsuming(h, Randn(11, shape));
        Assert.NotSame(h.RawData, y.RawData);
        Assert.Equal(before, h.ToArray());
        (y.Sum() + product.Sum()).Backward();
        Assert.Equal(before, scale.Grad!.ToArray());
    }

    [Fact]
    public void OneTensorAsBothOperandsGetsTwiceTheMaskedGradient()
    {
        int[] shape = [3, 5, 7];
        float[] Grad(Func<Tensor, Tensor> op, out float[] values, out float[] operandAfter)
        {
            var a = Randn(12, shape);
            a.RequiresGrad = true;
            var h = a * 1f;
            var y = op(h);
            values = y.ToArray();
            operandAfter = h.ToArray();
            (y * Randn(13, shape)).Sum().Backward();
            return a.Grad!.ToArray();
        }

        var expected = Grad(h => F.Relu(F.Add(h, h)), out var expectedY, out _);
        foreach (var op in new Func<Tensor, Tensor>[] { h => F.AddRelu(h, h), h => F.AddReluConsuming(h, h) })
        {
            var before = Randn(12, shape).ToArray();
            var grad = Grad(op, out var y, out var operandAfter);
            Assert.Equal(expectedY, y);
            Assert.Equal(expected, grad);
            Assert.Equal(before, operandAfter);   // h, the second operand too, was not written over
        }
    }

    [Fact]
    public void TheSharedGradientMeetsTheOtherBranchesOfAnOperandBitForBit()
    {
        // An identity shortcut: h feeds the branch (h·3), the fused op (as the shortcut) and a third consumer, so the
        // masked gradient handed to both operands (one buffer, two views) is summed with other gradients into h's.
        int[] shape = [4, 6, 5];
        float[] Grad(bool fused)
        {
            var x = Distinct(shape);
            x.RequiresGrad = true;
            var h = x * 1f;
            var branch = h * 3f;
            var y = fused ? F.AddReluConsuming(branch, h) : F.Relu(F.Add(branch, h));
            var side = F.Relu(h * -2f);
            ((y * Randn(14, shape)).Sum() + (side * Randn(15, shape)).Sum()).Backward();
            return x.Grad!.ToArray();
        }

        var fused = Grad(fused: true);
        Assert.Equal(Grad(fused: false), fused);
        var x = Distinct(shape).ToArray();
        var r1 = Randn(14, shape).ToArray();
        var r2 = Randn(15, shape).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            double expected = (x[i] * 4 > 0 ? 4.0 * r1[i] : 0) + (x[i] * -2 > 0 ? -2.0 * r2[i] : 0);
            Assert.Equal(expected, fused[i], 1e-5);
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        // a + b = t, with t spaced 0.05 apart (and at least 0.025 from 0), so no perturbation crosses the kink
        int[] shape = [2, 3, 4];
        var t = Distinct(shape);
        var b = Randn(16, shape);
        var a = Tensor.FromArray(t.ToArray().Zip(b.ToArray(), (s, v) => s - v).ToArray(), shape);
        Check(x => F.AddRelu(x[0], x[1]), [a, b], eps: 1e-2);
    }

    [Fact]
    public void OperandsOfDifferentShapesAreRefusedNamingBoth()
    {
        const string expected = "add_relu: expected operands of one shape (no broadcasting), got (2, 3) and (1, 3)";
        var a = Randn(17, 2, 3);
        var b = Randn(18, 1, 3);
        Assert.Equal(expected, Assert.Throws<ArgumentException>(() => F.AddRelu(a, b)).Message);
        Assert.Equal(expected, Assert.Throws<ArgumentException>(() => F.AddReluConsuming(a * 1f, b)).Message);
        Assert.Equal(expected, Assert.Throws<ArgumentException>(() => F.AddRelu(Tensor.Meta([2, 3]), Tensor.Meta([1, 3]))).Message);
        Assert.Equal([2, 3], F.AddReluConsuming(a * 1f, Tensor.Meta([2, 3])).ShapeArray);
        Assert.True(F.AddRelu(Tensor.Meta([2, 3]), a).IsMeta);
    }

    [Fact]
    public void TheProfileNamesTheFusedOpForwardAndBackward()
    {
        using var context = new ExecutionContext(threads: 1);
        context.Profiler.Enabled = true;
        using (context.Enter())
        {
            var a = Randn(19, 2, 8);
            a.RequiresGrad = true;
            F.AddReluConsuming(a * 1f, Randn(20, 2, 8)).Sum().Backward();
            F.AddRelu(a, a).Sum().Backward();
        }
        var ops = context.Profiler.Snapshot().ToDictionary(o => o.Op, o => o.Calls);
        Assert.Equal(2, ops["AddRelu"]);
        Assert.Equal(2, ops["AddReluBackward"]);
        Assert.DoesNotContain("Binary", ops.Keys);
        Assert.DoesNotContain("Relu", ops.Keys);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    [InlineData(Elementwise.ParallelThreshold + 3 * 16384 + 21)]   // chunks over the threads and a tail
    public void TheKernelEqualsAddThenReluInPlaceOrNot(int n)
    {
        var a = Randn(21, n).ToArray();
        var b = Randn(22, n).ToArray();
        var sum = new float[n];
        var expected = new float[n];
        Elementwise.Add(a, b, sum);
        Elementwise.Relu(sum, expected);
        var y = new float[n];
        Elementwise.AddRelu(a, b, y);
        Assert.Equal(expected, y);
        var inPlace = (float[])b.Clone();
        Elementwise.AddRelu(a, inPlace, inPlace);
        Assert.Equal(expected, inPlace);
    }
}
