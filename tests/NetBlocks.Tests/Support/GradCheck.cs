using NetBlocks.Tensors;

namespace NetBlocks.Tests.Support;

/// <summary>
/// Checks analytic gradients against central finite differences of L = Σ op(inputs) · R for a fixed random R.
/// Float32 ops, so eps and tolerances are sized for single precision.
/// </summary>
public static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> op, Tensor[] inputs, double eps = 1e-2, double rtol = 2e-2, double atol = 2e-3, int seed = 7)
    {
        foreach (var t in inputs) t.RequiresGrad = true;
        var y = op(inputs);
        var r = Tensor.Normal(y.ShapeArray, generator: new RandomGenerator((ulong)seed));
        var rs = r.ToArray();
        var loss = y * r;
        loss = loss.Sum();
        loss.Backward();
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            Assert.True(x.Grad is not null, $"input {k} got no gradient");
            var analytic = x.Grad!.ToArray();
            var xs = x.Span;
            for (int i = 0; i < xs.Length; i++)
            {
                float orig = xs[i];
                xs[i] = orig + (float)eps;
                double plus = Eval(op, inputs, rs);
                xs = x.Span; xs[i] = orig - (float)eps;
                double minus = Eval(op, inputs, rs);
                xs = x.Span; xs[i] = orig;
                double numeric = (plus - minus) / (2 * eps);
                double err = Math.Abs(numeric - analytic[i]);
                Assert.True(err <= atol + rtol * Math.Abs(numeric),
                    $"input {k} element {i}: analytic {analytic[i]:G6}, numeric {numeric:G6} (error {err:G3})");
            }
        }
    }

    private static double Eval(Func<Tensor[], Tensor> op, Tensor[] inputs, float[] r)
    {
        using var _ = NetBlocks.Autograd.GradMode.NoGrad();
        var y = op(inputs).Span;
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y[i] * r[i];
        return s;
    }

    /// <summary>Values spaced at least <paramref name="gap"/> apart in random order, so max/relu kinks stay farther than eps.</summary>
    public static Tensor Distinct(int[] shape, float gap = 0.05f, ulong seed = 3, float offset = 0f)
    {
        int n = ShapeUtil.Numel(shape);
        var perm = new RandomGenerator(seed).Permutation(n);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (perm[i] - n / 2f) * gap + offset + gap / 2;
        return Tensor.FromArray(data, shape);
    }

    public static Tensor Randn(ulong seed, params int[] shape) => Tensor.Normal(shape, generator: new RandomGenerator(seed));
}
